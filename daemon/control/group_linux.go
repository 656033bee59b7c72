package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// group is the process group a daemon leads (pgid == pid), through which
// Stop reaches the processes it started that still hold its pidfile's lock
// after the daemon itself has exited.
//
// A process group's number is the pid of the process that created it, and
// Linux does not hand that number to a new process while any process still
// has it as its pid, process group or session. So once the daemon is
// known to lead group N, kill(-N) reaches its group as long as the group
// has members, and nothing at all once it has none. With a pidfd of the
// daemon (pidfd set) the group is pinned even more tightly:
// pidfd_send_signal with PIDFD_SIGNAL_PROCESS_GROUP (Linux 6.9 and later)
// signals the group whose id is that very struct pid, with no number
// involved; older kernels reject the flag and kill(-N) is used.
type group struct {
	id    int
	pidfd *os.File // the daemon's pidfd, nil when the daemon was gone before Stop began
}

// signal sends sig to every member of the group. An empty group is not an
// error.
func (g *group) signal(sig syscall.Signal) error {
	if g.pidfd != nil {
		err := pidfdSignal(g.pidfd, sig, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		switch {
		case err == nil, errors.Is(err, unix.ESRCH):
			return nil
		case !errors.Is(err, unix.EINVAL):
			return fmt.Errorf("control: send %s to process group %d: %w", unix.SignalName(sig), g.id, err)
		}
	}
	if err := unix.Kill(-g.id, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("control: send %s to process group %d: %w", unix.SignalName(sig), g.id, err)
	}
	return nil
}

// errEmptyGroup means the group has no live member.
var errEmptyGroup = errors.New("control: process group is empty")

// wait blocks until every process in the group has exited (zombies count
// as exited), or ctx ends. Call it after SIGKILL: a group being killed
// cannot grow, since the kernel makes a fork racing a group signal fail
// or deliver the signal to the child too.
func (g *group) wait(ctx context.Context) error {
	members, err := groupMembers(g.id)
	if err != nil {
		return err
	}
	for _, pid := range members {
		p, ok := g.pin(pid)
		if !ok {
			continue
		}
		err := p.wait(ctx)
		p.close()
		if err != nil {
			return fmt.Errorf("control: wait for process group %d after SIGKILL: %w", g.id, err)
		}
	}
	return nil
}

// waitAny blocks until one live member of the group exits, or ctx ends
// (then it returns ctx.Err()). It returns errEmptyGroup when the group has
// no live member.
func (g *group) waitAny(ctx context.Context) error {
	members, err := groupMembers(g.id)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return errEmptyGroup
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the other waits
	done := make(chan error, len(members))
	for _, pid := range members {
		p, ok := g.pin(pid)
		if !ok {
			return nil // it exited since the scan
		}
		go func() {
			err := p.wait(ctx)
			p.close()
			done <- err
		}()
	}
	return <-done
}

// pin opens a pidfd for a member and checks, once pinned, that it is
// still in the group (a member reaped since the scan may have had its pid
// reused). It returns false for a process that is gone or elsewhere.
func (g *group) pin(pid int) (*process, bool) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, false
	}
	p := &process{pid: pid, fd: os.NewFile(uintptr(fd), "pidfd")}
	if pgid, err := unix.Getpgid(pid); err != nil || pgid != g.id {
		p.close()
		return nil, false
	}
	return p, true
}

// groupMembers lists the live (not zombie) processes whose process group
// is pgid, from /proc/PID/stat (readable by anyone, unless /proc is
// mounted with hidepid).
func groupMembers(pgid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, live := procPgrp(pid); live && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// procPgrp reads the process group of pid from /proc/PID/stat, and whether
// the process is live (exists and is neither a zombie nor dead).
func procPgrp(pid int) (int, bool) {
	_, pgrp, live := procStat(pid)
	return pgrp, live
}

// procStat reads the parent and the process group of pid from
// /proc/PID/stat, and whether the process is live (exists and is neither a
// zombie nor dead). The fields after the command name, which is in
// parentheses and may hold spaces and parentheses itself, are state, ppid
// and pgrp.
func procStat(pid int) (ppid, pgrp int, live bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 || f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	return ppid, pgrp, err1 == nil && err2 == nil
}
