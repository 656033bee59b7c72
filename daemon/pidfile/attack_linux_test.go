package pidfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/internal/hostile"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if code, ok := hostile.Serve(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// victim starts a process standing for whatever reuses a dead daemon's
// pid (or pid 1): it must never be signalled.
func victim(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// A read lock is not a daemon's lock: nobody can take one on any pidfile
// it may read, such as a stale root-owned one whose pid now names an
// unrelated process.
func TestReadLockIsNotADaemon(t *testing.T) {
	hostile.NeedRoot(t)
	path := filepath.Join(hostile.Dir(t, 0o755), "d.pid")
	v := victim(t)
	if err := os.WriteFile(path, []byte(strconv.Itoa(v.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostile.Lock(t, hostile.Read, path, 0)
	st, err := Probe(path)
	if err != nil || st.State != Stale {
		t.Fatalf("Probe with nobody's read lock = %+v, %v; want stale", st, err)
	}
	// A stale pidfile a reader keeps locked does not stop a new daemon
	// either: it is replaced.
	p, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over nobody's read lock: %v", err)
	}
	defer p.Remove()
	if err := p.Write(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != os.Getpid() {
		t.Fatalf("Probe after the takeover = %+v, %v", st, err)
	}
}

// A pidfile that another user planted (in a directory it may write) is
// neither trusted by Probe nor reused by Acquire, even when that user
// holds a write lock on it and wrote a live pid into it.
func TestPlantedPidfileNotTrusted(t *testing.T) {
	hostile.NeedRoot(t)
	for name, mode := range map[string]os.FileMode{"sticky": 0o1777, "open": 0o777} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(hostile.Dir(t, mode), "d.pid")
			v := victim(t)
			hostile.Lock(t, hostile.Plant, path, v.Process.Pid)
			var planted unix.Stat_t
			if err := unix.Lstat(path, &planted); err != nil {
				t.Fatal(err)
			}
			if _, err := Probe(path); !errors.Is(err, ErrUntrusted) {
				t.Fatalf("Probe(planted) = %v, want ErrUntrusted", err)
			}
			p, err := Acquire(path)
			if err != nil {
				t.Fatalf("Acquire(planted) = %v", err)
			}
			defer p.Remove()
			var st unix.Stat_t
			if err := unix.Lstat(path, &st); err != nil {
				t.Fatal(err)
			}
			if st.Ino == planted.Ino || st.Uid != 0 || st.Mode&0o022 != 0 {
				t.Fatalf("pidfile reused or not ours: ino %d (planted %d), uid %d, mode %o", st.Ino, planted.Ino, st.Uid, st.Mode&0o7777)
			}
		})
	}
}

// The pid written in a locked pidfile must be the process that holds the
// lock: here the lock is held by a leftover child and the pid names an
// unrelated live process (a reused number).
func TestLockedPIDMustHoldTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	v := victim(t)
	startHolder(t, path, func(int) int { return v.Process.Pid })
	st, err := Probe(path)
	if err != nil || st.State == Running {
		t.Fatalf("Probe = %+v, %v; want anything but running", st, err)
	}
	if st.State != Unverified || st.PID != v.Process.Pid || st.Reason == nil {
		t.Fatalf("Probe = %+v; want unverified, pid %d, with a reason", st, v.Process.Pid)
	}
}

// bounded runs f and fails the test when it has not returned within a
// generous deadline (a FIFO at the pidfile path used to hang open).
func bounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// A FIFO (or a device, or a directory) at the pidfile path is refused at
// once, never opened in a way that blocks.
func TestNonRegularPidfileRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pid")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, release an open that blocks on the FIFO.
	t.Cleanup(func() {
		if fd, err := unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
		}
	})
	for _, path := range []string{fifo, "/dev/null", dir} {
		bounded(t, "Probe("+path+")", func() {
			if _, err := Probe(path); !errors.Is(err, ErrInvalid) {
				t.Errorf("Probe(%s) = %v, want ErrInvalid", path, err)
			}
		})
		bounded(t, "Acquire("+path+")", func() {
			if _, err := Acquire(path); !errors.Is(err, ErrInvalid) {
				t.Errorf("Acquire(%s) = %v, want ErrInvalid", path, err)
			}
		})
	}
}
