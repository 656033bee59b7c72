package pidfile

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzContent feeds arbitrary bytes to parsePID and, as the content of a
// real pidfile, to Probe: unlocked, then write-locked by this process.
// Whatever the bytes, nothing panics, no pid outside 1..MaxPID comes out,
// and Running names only the process that holds the lock (this one).
func FuzzContent(f *testing.F) {
	for _, s := range []string{"", "\n", "1\n", "42", " 7 \n", "\t9\r\n", "0", "-1", "+5", "0x10", "1e3", "12abc",
		"4194304", "4194305", "99999999999999999999999", "\x00", "1\n2\n", strconv.Itoa(os.Getpid()) + "\n"} {
		f.Add([]byte(s))
	}
	self := os.Getpid()
	f.Fuzz(func(t *testing.T, data []byte) {
		pid, err := parsePID(data)
		if (err == nil) != (pid > 0) || pid < 0 || pid > MaxPID {
			t.Fatalf("parsePID(%q) = %d, %v", data, pid, err)
		}
		path := filepath.Join(t.TempDir(), "d.pid")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := Probe(path)
		if err != nil || st.State != Stale || st.PID != pid {
			t.Fatalf("Probe(unlocked %q) = %+v, %v; want stale, pid %d", data, st, err, pid)
		}
		p, err := Acquire(path)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Remove()
		if _, err := p.File().WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		st, err = Probe(path)
		switch {
		case err != nil:
			t.Fatalf("Probe(locked %q): %v", data, err)
		case st.PID < 0 || st.PID > MaxPID:
			t.Fatalf("Probe(locked %q) = %+v: pid out of range", data, st)
		case st.State == Running && st.PID != self:
			t.Fatalf("Probe(locked %q) = %+v: running, but we (%d) hold the lock", data, st, self)
		case pid == self && st.State != Running:
			t.Fatalf("Probe(locked %q) = %+v: we hold the lock", data, st)
		case st.State == Unverified && st.Reason == nil:
			t.Fatalf("Probe(locked %q) = %+v: no reason", data, st)
		}
	})
}
