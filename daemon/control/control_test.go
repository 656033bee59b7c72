package control

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"golang.org/x/sys/unix"
)

// start runs a shell command that holds the pidfile's lock through an
// inherited descriptor, the way `daemonctl run --daemon` leaves it, and
// waits until it has exec'd into comm.
func start(t *testing.T, path, script, comm string) *exec.Cmd {
	t.Helper()
	pf, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.ExtraFiles = []*os.File{pf.File()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := pf.Write(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/comm")
		if strings.TrimSpace(string(b)) == comm {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never became %s", script, comm)
		}
	}
}

func waitStatus(t *testing.T, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	cmd.Wait()
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

func TestStopTERM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	cmd := start(t, path, "exec sleep 1000", "sleep")
	res, err := Stop(context.Background(), path, StopOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PID != cmd.Process.Pid || res.Killed {
		t.Fatalf("result %+v", res)
	}
	// Stop returned: the process has exited (it is a zombie until we reap it).
	if ws := waitStatus(t, cmd); ws.Signal() != unix.SIGTERM {
		t.Fatalf("status %v", ws)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pidfile left: %v", err)
	}
}

func TestStopEscalatesToKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	// An ignored signal stays ignored across exec: sleep ignores TERM.
	cmd := start(t, path, `trap "" TERM; exec sleep 1000`, "sleep")
	res, err := Stop(context.Background(), path, StopOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Killed {
		t.Fatalf("result %+v, want Killed", res)
	}
	if ws := waitStatus(t, cmd); ws.Signal() != unix.SIGKILL {
		t.Fatalf("status %v", ws)
	}
	if st, _ := pidfile.Probe(path); st.State != pidfile.Absent {
		t.Fatalf("pidfile state %v after stop", st.State)
	}
}

func TestStopNotRunning(t *testing.T) {
	dir := t.TempDir()
	res, err := Stop(context.Background(), filepath.Join(dir, "absent.pid"), StopOptions{})
	if err != nil || res != (StopResult{}) {
		t.Fatalf("absent: %+v, %v", res, err)
	}
	// A stale pidfile naming a live process (this test) must not get it
	// signalled: the lock, not the pid, decides.
	stale := filepath.Join(dir, "stale.pid")
	os.WriteFile(stale, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	res, err = Stop(context.Background(), stale, StopOptions{Signal: unix.SIGKILL})
	if err != nil || !res.RemovedStale || res.PID != 0 {
		t.Fatalf("stale: %+v, %v", res, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale pidfile kept")
	}
}

func TestSignal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal(absent) = %v", err)
	}
	cmd := start(t, path, "exec sleep 1000", "sleep")
	pid, err := Signal(path, unix.SIGHUP)
	if err != nil || pid != cmd.Process.Pid {
		t.Fatalf("Signal = %d, %v", pid, err)
	}
	if ws := waitStatus(t, cmd); ws.Signal() != unix.SIGHUP {
		t.Fatalf("status %v", ws)
	}
	if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Signal(dead) = %v", err)
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"HUP": unix.SIGHUP, "sigterm": unix.SIGTERM, "USR1": unix.SIGUSR1, "9": unix.SIGKILL, "SIGWINCH": unix.SIGWINCH} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "NOPE", "0", "99", "-1"} {
		if _, err := ParseSignal(in); !errors.Is(err, ErrBadSignal) {
			t.Errorf("ParseSignal(%q) = %v", in, err)
		}
	}
}
