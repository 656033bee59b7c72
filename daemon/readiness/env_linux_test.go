package readiness

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func getenvFD(v string) func(string) string {
	return func(k string) string {
		if k == EnvFD {
			return v
		}
		return ""
	}
}

// TestFromEnvNotAPipe: a DAEMONCTL_READY_FD that names a descriptor other
// than a pipe's write end (here a log file; it could be a socket-activated
// listener) is ignored: the report is neither written into it nor does it
// get closed.
func TestFromEnvNotAPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, fd := range []uintptr{f.Fd(), r.Fd()} {
		if rep := FromEnv(getenvFD(strconv.Itoa(int(fd)))); rep != nil {
			rep.Ready()
			t.Errorf("FromEnv took fd %d, which is not a pipe's write end", fd)
		}
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("the log file got %q", b)
	}
	if _, err := f.Stat(); err != nil {
		t.Errorf("the log file's descriptor was closed: %v", err)
	}
}

// FuzzFromEnv: never panics, takes only the pipe's write end made here
// (other open descriptors are left out, see below), and that then works.
func FuzzFromEnv(f *testing.F) {
	for _, s := range []string{"3", "0", "2", "-1", "999999", "99999999999999999999", " 3", "+3", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		r := os.NewFile(uintptr(p[0]), "r")
		defer r.Close()
		// The fuzzing engine talks to this process through pipes of its
		// own: a Reporter for one of them would close it. Leave them out.
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n != p[1] {
			if _, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil {
				unix.Close(p[1])
				t.Skip("names a descriptor of the test harness")
			}
		}
		rep := FromEnv(getenvFD(v))
		if rep == nil {
			unix.Close(p[1])
			return
		}
		// The Reporter owns the write end now.
		if n, _ := strconv.Atoi(v); n != p[1] {
			t.Fatalf("%s=%q: took a descriptor that is not our pipe's write end %d", EnvFD, v, p[1])
		}
		if err := rep.Ready(); err != nil {
			t.Fatal(err)
		}
		if err := Wait(r); err != nil {
			t.Fatal(err)
		}
	})
}
