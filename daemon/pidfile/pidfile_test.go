package pidfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

func TestAcquireWriteProbeRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if st, err := Probe(path); err != nil || st.State != Absent {
		t.Fatalf("Probe(absent) = %+v, %v", st, err)
	}
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(4242); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "4242\n" {
		t.Fatalf("content %q", b)
	}
	// Reading the file through another descriptor of this process must not
	// drop the lock (it would with a classic POSIX lock).
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != 4242 {
		t.Fatalf("Probe(locked) = %+v, %v", st, err)
	}
	_, err = Acquire(path)
	var re *RunningError
	if !errors.Is(err, ErrAlreadyRunning) || !errors.As(err, &re) || re.PID != 4242 {
		t.Fatalf("second Acquire: %v", err)
	}
	if want := "pidfile: " + path + ": already running (pid 4242)"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pidfile still there: %v", err)
	}
}

func TestStaleTakeover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("99999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := Probe(path); err != nil || st.State != Stale || st.PID != 99999999 {
		t.Fatalf("Probe(stale) = %+v, %v", st, err)
	}
	p, err := Acquire(path)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	defer p.Close()
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("stale content kept under the new lock: %q", b)
	}
	if err := RemoveStale(path); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("RemoveStale on a locked file: %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStale(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale pidfile kept: %v", err)
	}
}

func TestSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "d.pid")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(link); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Acquire(symlink) = %v, want ErrInvalid", err)
	}
	if _, err := Probe(link); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Probe(symlink) = %v, want ErrInvalid", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("symlink target modified: %q", b)
	}
}

func TestDirectoryRefused(t *testing.T) {
	if _, err := Acquire(t.TempDir()); err == nil {
		t.Fatal("Acquire(directory) succeeded")
	}
}

// OFD locks conflict between open file descriptions even inside one
// process, so concurrent Acquire calls race for real.
func TestConcurrentAcquireExactlyOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []*File
	busy := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Acquire(path)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, p)
			case errors.Is(err, ErrAlreadyRunning):
				busy++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || busy != 19 {
		t.Fatalf("winners %d, busy %d; want 1 and 19", len(won), busy)
	}
	won[0].Close()
}

// The lock travels with an inherited descriptor and ends with the last
// process holding it.
func TestLockInheritedByChild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "1000")
	cmd.ExtraFiles = []*os.File{p.File()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Write(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != cmd.Process.Pid {
		t.Fatalf("Probe with child holding the lock = %+v, %v", st, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if st, err := Probe(path); err != nil || st.State != Stale {
		t.Fatalf("Probe after the child died = %+v, %v", st, err)
	}
}

func TestParsePID(t *testing.T) {
	for in, want := range map[string]int{"12\n": 12, " 7 \n": 7, "5": 5, "": 0, "x": 0, "-3\n": 0, "0\n": 0} {
		got, err := parsePID([]byte(in))
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("parsePID(%q) = %d, %v", in, got, err)
		}
	}
}
