package control

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/internal/hostile"
	"golang.org/x/sys/unix"
)

// victim is a process that stands for an unrelated one reusing a dead
// daemon's pid (or pid 1); untouched reports that no signal reached it.
type victim struct{ cmd *exec.Cmd }

func newVictim(t *testing.T) *victim {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &victim{cmd: cmd}
}

func (v *victim) pid() int { return v.cmd.Process.Pid }

func (v *victim) untouched(t *testing.T) {
	t.Helper()
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, v.pid(), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if err != nil || info.Signo != 0 {
		t.Fatalf("victim %d was signalled (waitid: %v, %+v)", v.pid(), err, info)
	}
}

// nobody holds a read lock on a stale root-owned pidfile whose pid now
// names an unrelated process: stop and reload must not signal it.
func TestReadLockDoesNotGetAPIDSignalled(t *testing.T) {
	hostile.NeedRoot(t)
	path := filepath.Join(hostile.Dir(t, 0o755), "d.pid")
	v := newVictim(t)
	if err := os.WriteFile(path, []byte(strconv.Itoa(v.pid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostile.Lock(t, hostile.Read, path, 0)
	if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Signal = %v, want ErrNotRunning", err)
	}
	res, err := Stop(context.Background(), path, StopOptions{Timeout: time.Second})
	if err != nil || res.PID != 0 || !res.RemovedStale {
		t.Errorf("Stop = %+v, %v; want the stale pidfile removed", res, err)
	}
	v.untouched(t)
}

// nobody plants a pidfile in a directory it may write, holds a write lock
// on it and names a process of root's in it: nothing is signalled, and the
// reason is clear.
func TestPlantedPidfileNotObeyed(t *testing.T) {
	hostile.NeedRoot(t)
	path := filepath.Join(hostile.Dir(t, 0o1777), "d.pid")
	v := newVictim(t)
	hostile.Lock(t, hostile.Plant, path, v.pid())
	if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, pidfile.ErrUntrusted) {
		t.Errorf("Signal = %v, want ErrUntrusted", err)
	}
	if _, err := Stop(context.Background(), path, StopOptions{Timeout: time.Second}); !errors.Is(err, pidfile.ErrUntrusted) {
		t.Errorf("Stop = %v, want ErrUntrusted", err)
	}
	v.untouched(t)
}

// The lock is held (by a leftover) but the pid in the pidfile names a
// live process that does not hold it: never signalled, stop says why.
func TestUnprovenPIDNotSignalled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	v := newVictim(t)
	pf, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("sleep", "1000")
	holder.ExtraFiles = []*os.File{pf.File()}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	if err := pf.Write(v.pid()); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, ErrUnverified) {
		t.Errorf("Signal = %v, want ErrUnverified", err)
	}
	if _, err := Stop(context.Background(), path, StopOptions{Timeout: time.Second}); !errors.Is(err, ErrUnverified) {
		t.Errorf("Stop = %v, want ErrUnverified", err)
	}
	v.untouched(t)
}

// A process that SIGKILL does not end at once (here: held in its
// PTRACE_EVENT_EXIT stop by a tracer) does not make Stop wait forever.
func TestStopKillWaitIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	cmd := start(t, path, "exec sleep 1000", "sleep")
	pid := cmd.Process.Pid
	// The tracer is a locked OS thread: ptrace requests come from it.
	traced, release := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, unix.PTRACE_O_TRACEEXIT, 0, 0)
		if e != 0 {
			traced <- e
			return
		}
		traced <- nil
		<-release
		unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(pid), 0, 0, 0, 0)
	}()
	if err := <-traced; err != nil {
		t.Skipf("ptrace: %v", err)
	}
	defer close(release)
	done := make(chan error, 1)
	go func() {
		_, err := Stop(context.Background(), path, StopOptions{Timeout: -1, KillTimeout: 200 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrStillAlive) {
			t.Fatalf("Stop = %v, want ErrStillAlive", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Stop still waiting 20s after SIGKILL")
	}
}

// Abort kills the program started with the locked descriptor, and only
// when it still holds the lock; the pidfile goes either way.
func TestAbort(t *testing.T) {
	for name, c := range map[string]struct {
		script string
		killed bool
	}{
		"holds the lock":  {"exec sleep 1000", true},
		"closed its fd 3": {"exec 3>&-; exec sleep 1000", false},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			pf, err := pidfile.Acquire(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("sh", "-c", c.script)
			cmd.ExtraFiles = []*os.File{pf.File()}
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			pid := cmd.Process.Pid
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
				if string(b) == "sleep\n" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("sh never became sleep")
				}
			}
			err = Abort(context.Background(), pf, pid)
			if c.killed {
				if err != nil {
					t.Fatal(err)
				}
				if ws := waitStatus(t, cmd); ws.Signal() != unix.SIGKILL {
					t.Fatalf("status %v, want SIGKILL", ws)
				}
			} else {
				if !errors.Is(err, ErrUnverified) {
					t.Fatalf("Abort = %v, want ErrUnverified", err)
				}
				(&victim{cmd: cmd}).untouched(t)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("pidfile left: %v", err)
			}
		})
	}
}
