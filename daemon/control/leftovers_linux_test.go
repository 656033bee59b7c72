package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/internal/hostile"
	"golang.org/x/sys/unix"
)

// The processes a test daemon leaves behind are reparented to the test
// binary, which reaps them, rather than to a PID 1 that may not.
func TestMain(m *testing.M) {
	if code, ok := hostile.Serve(); ok {
		os.Exit(code)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// daemon is a shell script holding a pidfile's lock the way a program
// started by `daemonctl run --daemon` does, with one child that inherited
// the locked descriptor.
type daemon struct {
	cmd   *exec.Cmd
	pid   int // the script, written in the pidfile
	child int // the script's child, holding the lock too
}

// startDaemon runs script under sh with the locked pidfile as fd 3. The
// script starts one child and then creates "$READY". attr places the
// script in a process group (nil: its own, as `run --daemon` does).
func startDaemon(t *testing.T, path, script string, attr *syscall.SysProcAttr) *daemon {
	t.Helper()
	pf, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	ready := path + ".ready"
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "READY="+ready)
	cmd.ExtraFiles = []*os.File{pf.File()}
	if attr == nil {
		attr = &syscall.SysProcAttr{Setpgid: true}
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, pid: cmd.Process.Pid}
	if err := pf.Write(d.pid); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never got ready", script)
		}
	}
	kids := childrenOf(d.pid)
	if len(kids) != 1 {
		t.Fatalf("script %d has children %v, want one", d.pid, kids)
	}
	d.child = kids[0]
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if _, live := procPgrp(d.child); live {
			unix.Kill(d.child, unix.SIGKILL)
		}
		reapPID(d.child)
	})
	return d
}

// childrenOf lists the children of ppid, a single-threaded process, from
// /proc/PID/task/PID/children (zombies included).
func childrenOf(ppid int) []int {
	id := strconv.Itoa(ppid)
	b, _ := os.ReadFile("/proc/" + id + "/task/" + id + "/children")
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// reapPID waits for pid, an adopted or own child, and returns how it
// ended; ok is false when it is not (or no longer) our child.
func reapPID(pid int) (ws unix.WaitStatus, ok bool) {
	got, err := unix.Wait4(pid, &ws, 0, nil)
	return ws, err == nil && got == pid
}

// gone reports whether pid has exited (zombies included).
func gone(pid int) bool {
	_, live := procPgrp(pid)
	return !live
}

func TestStopReachesLeftoversThroughGroup(t *testing.T) {
	cases := map[string]struct {
		script  string
		timeout time.Duration
		killed  bool
		sig     syscall.Signal // how the child ends
	}{
		"TERM": {`sleep 1000 & : > "$READY"; wait`, 10 * time.Second, false, unix.SIGTERM},
		// An ignored signal stays ignored in the child: both need SIGKILL.
		"ignored TERM": {`trap "" TERM; sleep 1000 & : > "$READY"; while :; do wait; done`, 100 * time.Millisecond, true, unix.SIGKILL},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			d := startDaemon(t, path, c.script, nil)
			res, err := Stop(context.Background(), path, StopOptions{Timeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			// A child that outlives the grace period is killed as the
			// daemon's descendant before the daemon; one that obeyed TERM
			// is found later as a leftover in the daemon's group.
			reached := res.Group == d.pid
			if c.killed {
				reached = res.Descendants == 1 && res.Group == 0
			}
			if res.PID != d.pid || !reached || res.Killed != c.killed {
				t.Fatalf("result %+v, want pid %d, the child reached, killed %v", res, d.pid, c.killed)
			}
			if !gone(d.child) {
				t.Fatalf("child %d alive after Stop returned", d.child)
			}
			if ws, ok := reapPID(d.child); !ok || ws.Signal() != c.sig {
				t.Fatalf("child ended with %v (reaped %v), want %v", ws, ok, c.sig)
			}
			if st, _ := pidfile.Probe(path); st.State != pidfile.Absent {
				t.Fatalf("pidfile %v after Stop", st.State)
			}
		})
	}
}

// The daemon's pid is gone (reaped, or a zombie nobody reaped) before Stop
// begins; its child still holds the lock.
func TestStopOrphaned(t *testing.T) {
	for name, reap := range map[string]bool{"reaped": true, "zombie": false} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			d := startDaemon(t, path, `sleep 1000 & : > "$READY"; wait`, nil)
			d.cmd.Process.Signal(unix.SIGKILL)
			if reap {
				d.cmd.Wait()
			} else {
				var info unix.Siginfo
				unix.Waitid(unix.P_PID, d.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			}
			if st, err := pidfile.Probe(path); err != nil || st.State != pidfile.Orphaned {
				t.Fatalf("Probe = %+v, %v; want orphaned", st, err)
			}
			if _, err := Signal(path, unix.SIGHUP); !errors.Is(err, ErrNotRunning) {
				t.Fatalf("Signal(orphaned) = %v, want ErrNotRunning", err)
			}
			res, err := Stop(context.Background(), path, StopOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.PID != 0 || res.Group != d.pid || res.Killed {
				t.Fatalf("result %+v, want group %d and no pid", res, d.pid)
			}
			if ws, ok := reapPID(d.child); !ok || ws.Signal() != unix.SIGTERM {
				t.Fatalf("child ended with %v (reaped %v)", ws, ok)
			}
			if st, _ := pidfile.Probe(path); st.State != pidfile.Absent {
				t.Fatalf("pidfile %v after Stop", st.State)
			}
		})
	}
}

// A child that left the daemon's group (setsid) cannot be reached: Stop
// fails with a *LeftoversError, signals nothing outside the group and
// keeps the pidfile.
func TestStopLeftoversOutsideGroup(t *testing.T) {
	const script = `setsid sh -c ': > "$READY"; exec sleep 1000' & wait`
	for name, killFirst := range map[string]bool{"daemon running": false, "daemon gone": true} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			d := startDaemon(t, path, script, nil)
			if pgid, _ := procPgrp(d.child); pgid == d.pid {
				t.Fatalf("child %d still in the daemon's group", d.child)
			}
			if killFirst {
				d.cmd.Process.Signal(unix.SIGKILL)
				d.cmd.Wait()
			}
			_, err := Stop(context.Background(), path, StopOptions{Timeout: 100 * time.Millisecond})
			var le *LeftoversError
			if !errors.Is(err, ErrLeftovers) || !errors.As(err, &le) || le.PID != d.pid || le.Group != d.pid || le.Path != path {
				t.Fatalf("Stop = %v, want a LeftoversError for pid and group %d", err, d.pid)
			}
			if gone(d.child) {
				t.Fatalf("Stop ended %d outside the daemon's group", d.child)
			}
			if st, _ := pidfile.Probe(path); st.State != pidfile.Orphaned {
				t.Fatalf("pidfile %v after a failed Stop, want orphaned", st.State)
			}
		})
	}
}

// A daemon that does not lead its process group (it joined another
// process's) must never get that group signalled: Stop stops the daemon,
// waits out the grace period and reports the leftovers.
func TestStopNeverSignalsAGroupTheDaemonDoesNotLead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	leader := exec.Command("sleep", "1000")
	leader.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leader.Process.Kill(); leader.Wait() })
	d := startDaemon(t, path, `sleep 1000 & : > "$READY"; wait`, &syscall.SysProcAttr{Setpgid: true, Pgid: leader.Process.Pid})
	res, err := Stop(context.Background(), path, StopOptions{Timeout: 100 * time.Millisecond})
	var le *LeftoversError
	if !errors.As(err, &le) || le.Group != 0 || le.PID != d.pid {
		t.Fatalf("Stop = %+v, %v; want a LeftoversError without a group", res, err)
	}
	if res.Group != 0 {
		t.Fatalf("result %+v names a group", res)
	}
	if ws := waitStatus(t, d.cmd); ws.Signal() != unix.SIGTERM {
		t.Fatalf("daemon ended with %v", ws)
	}
	for _, pid := range []int{leader.Process.Pid, d.child} {
		if gone(pid) {
			t.Fatalf("pid %d of the foreign group was signalled", pid)
		}
	}
}

// The daemon's pidfd pins its group even after the daemon was reaped
// (Linux 6.9 and later), and kill(-pgid) reaches it as well.
func TestGroupSignal(t *testing.T) {
	for name, byPidfd := range map[string]bool{"pidfd": true, "kill": false} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			d := startDaemon(t, path, `sleep 1000 & : > "$READY"; wait`, nil)
			g := &group{id: d.pid}
			if byPidfd {
				fd, err := unix.PidfdOpen(d.pid, unix.PIDFD_NONBLOCK)
				if err != nil {
					t.Fatal(err)
				}
				g.pidfd = os.NewFile(uintptr(fd), "pidfd")
				defer g.pidfd.Close()
			}
			d.cmd.Process.Signal(unix.SIGKILL)
			d.cmd.Wait() // reaped: only the pidfd knows the group now
			if byPidfd {
				err := pidfdSignal(g.pidfd, unix.SIGUSR1, unix.PIDFD_SIGNAL_PROCESS_GROUP)
				if errors.Is(err, unix.EINVAL) {
					t.Skip("kernel without PIDFD_SIGNAL_PROCESS_GROUP (before 6.9)")
				}
				if err != nil {
					t.Fatal(err)
				}
			} else if err := g.signal(unix.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			if ws, ok := reapPID(d.child); !ok || ws.Signal() != unix.SIGUSR1 {
				t.Fatalf("child ended with %v (reaped %v)", ws, ok)
			}
			if err := g.signal(unix.SIGUSR1); err != nil {
				t.Fatalf("signal to an empty group: %v", err)
			}
		})
	}
}

// The command name in /proc/PID/stat may hold spaces and parentheses.
func TestProcPgrpOddName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(t.TempDir(), "a) Z 1 2")
	if err := os.Symlink(sleep, odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if pgid, live := procPgrp(cmd.Process.Pid); !live || pgid != cmd.Process.Pid {
		t.Fatalf("procPgrp = %d, %v; want %d, true", pgid, live, cmd.Process.Pid)
	}
	if members, err := groupMembers(cmd.Process.Pid); err != nil || len(members) != 1 || members[0] != cmd.Process.Pid {
		t.Fatalf("groupMembers = %v, %v", members, err)
	}
}
