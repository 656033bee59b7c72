package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"golang.org/x/sys/unix"
)

// Signal sends sig to the daemon whose locked pidfile is at path and
// returns its pid. It returns ErrNotRunning (wrapped) when the pidfile is
// absent or stale, or when the pid in it has exited while processes it
// left behind still hold the lock (pidfile.Orphaned); ErrUnverified when
// the pid in it cannot be shown to hold the write lock
// (pidfile.Unverified); pidfile.ErrUntrusted or pidfile.ErrInvalid for a
// pidfile that may not be believed. It never signals a pid that it has not
// seen hold the pidfile's write lock (see target).
func Signal(path string, sig syscall.Signal) (int, error) {
	t, _, err := target(path)
	if err != nil {
		return 0, err
	}
	defer t.close()
	if err := t.signal(sig); err != nil {
		return t.pid, err
	}
	return t.pid, nil
}

// Stop asks the daemon whose pidfile is at path to exit, waits for it, and
// sends SIGKILL when it is still alive after the grace period. A daemon
// that is not running is not an error: a stale pidfile is removed and the
// result says so. When Stop returns nil the process has exited, nothing
// holds the pidfile's lock any more and the pidfile is removed (a daemon
// usually removes it itself).
//
// Processes the daemon started may have inherited the locked descriptor
// (the fd 3 of `daemonctl run --daemon`) and outlive it. When the lock is
// still held after the daemon's pid has exited, or the pid was gone
// before Stop began (pidfile.Orphaned), Stop sends the same signal to the
// daemon's process group, waits for the lock to be released for what is
// left of the grace period, then sends SIGKILL to the group and waits for
// its members to exit. It reaches the group only when the daemon leads it
// (pgid == pid, as `run --daemon` and package detach arrange); for a pid
// that is already gone it first checks that a member of the group still
// has the pidfile open. See group for how the group is pinned.
//
// Before it escalates to SIGKILL it freezes the daemon and kills its
// descendants (see killTree), so that a keepalive angel's worker and what
// that worker started are gone too; after SIGKILL it waits at most
// opts.KillTimeout for all of them to exit.
//
// Errors: those of Signal (ErrUnverified, pidfile.ErrUntrusted,
// pidfile.ErrInvalid), with nothing signalled; permission to signal; a
// *LeftoversError (ErrLeftovers) when processes outside the daemon's
// process group still hold the lock, or the daemon did not lead one, and
// the pidfile is kept; ErrStillAlive when the daemon or its group outlived
// the wait after SIGKILL; a pidfile that a new instance took over
// meanwhile; ctx ending first.
func Stop(ctx context.Context, path string, opts StopOptions) (StopResult, error) {
	if opts.Signal == 0 {
		opts.Signal = unix.SIGTERM
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultStopTimeout
	}
	if opts.KillTimeout <= 0 {
		opts.KillTimeout = DefaultKillTimeout
	}
	// The end of the grace period; zero means none is left.
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	var res StopResult
	t, st, err := target(path)
	switch {
	case errors.Is(err, ErrNotRunning):
		switch st.State {
		case pidfile.Stale:
			if err := pidfile.RemoveStale(path); err != nil && !errors.Is(err, pidfile.ErrAlreadyRunning) {
				return res, fmt.Errorf("control: %w", err)
			}
			res.RemovedStale = true
		case pidfile.Orphaned:
			return res, stopOrphaned(ctx, path, st.PID, opts, deadline, &res)
		}
		return res, nil
	case err != nil:
		return res, err
	}
	defer t.close()
	res.PID = t.pid
	if !deadline.IsZero() {
		if err := t.signal(opts.Signal); err != nil {
			return res, err
		}
		wctx, cancel := context.WithDeadline(ctx, deadline)
		err = t.wait(wctx)
		cancel()
		if err != nil && ctx.Err() != nil {
			return res, fmt.Errorf("control: stop pid %d: %w", t.pid, ctx.Err())
		}
	}
	if err != nil || deadline.IsZero() {
		res.Killed = true
		deadline = time.Time{}
		tree := killTree(t)
		res.Descendants = len(tree)
		if err := t.signal(unix.SIGKILL); err != nil {
			waitTree(ctx, tree)
			return res, err
		}
		kctx, cancel := context.WithTimeout(ctx, opts.KillTimeout)
		err := t.wait(kctx)
		if !waitTree(kctx, tree) && err == nil {
			err = kctx.Err()
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("control: stop pid %d after SIGKILL: %w", t.pid, ctx.Err())
			}
			return res, fmt.Errorf("control: pid %d %w (waited %s)", t.pid, ErrStillAlive, opts.KillTimeout)
		}
	}
	var g *group
	if t.leader {
		g = &group{id: t.pid, pidfd: t.fd}
	}
	if err := stopLeftovers(ctx, path, g, t.pid, opts, deadline, &res); err != nil {
		return res, err
	}
	if err := pidfile.RemoveStale(path); err != nil {
		return res, fmt.Errorf("control: pid %d exited but %w", t.pid, err)
	}
	return res, nil
}

// stopOrphaned stops what holds the pidfile's lock when the daemon's pid
// had exited before Stop began. With no pidfd to pin the group by, it
// signals the group numbered pid only after seeing one of its members
// hold the pidfile open: the number cannot be reused while the group has
// members, so the signal reaches that group and no other.
func stopOrphaned(ctx context.Context, path string, pid int, opts StopOptions, deadline time.Time, res *StopResult) error {
	if err := verifyOrphaned(path, pid); err != nil {
		return err
	}
	if err := stopLeftovers(ctx, path, &group{id: pid}, pid, opts, deadline, res); err != nil {
		return err
	}
	if err := pidfile.RemoveStale(path); err != nil {
		return fmt.Errorf("control: pid %d had exited but %w", pid, err)
	}
	return nil
}

// verifyOrphaned checks that a live member of the process group pid holds
// the write lock of the pidfile at path. A lock released meanwhile is fine
// too.
func verifyOrphaned(path string, pid int) error {
	holds, denied, err := groupHoldsLock(path, pid)
	switch {
	case err != nil:
		return err
	case holds:
		return nil
	}
	if held, err := heldBy(path, pid); err != nil || !held {
		return err
	}
	if denied != nil {
		return fmt.Errorf("control: %s: pid %d is gone; cannot tell whether its process group still holds the lock: %w", path, pid, denied)
	}
	return &LeftoversError{Path: path, PID: pid, Group: pid}
}

// groupHoldsLock reports whether a live member of process group pgid holds
// the write lock of the pidfile at path; denied is the error of a member
// whose descriptors could not be read.
func groupHoldsLock(path string, pgid int) (holds bool, denied, err error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false, nil, fmt.Errorf("control: %w", &os.PathError{Op: "lstat", Path: path, Err: err})
	}
	members, err := groupMembers(pgid)
	if err != nil {
		return false, nil, err
	}
	for _, m := range members {
		open, err := pidfile.HoldsLock(m, &st)
		if err != nil {
			denied = err
			continue
		}
		if open {
			return true, nil, nil
		}
	}
	return false, denied, nil
}

// signalGroup sends sig to g. A group known only by its number (the
// daemon was gone before Stop began) is signalled only while a live member
// of it still holds the pidfile's lock: leftovers that left the group, even
// holding the lock, free the number for an unrelated process, whose group
// must never be hit. It reports false, with nothing sent, when the lock is
// free (done) and a *LeftoversError when the lock is held from outside the
// group.
func signalGroup(path string, g *group, pid int, sig syscall.Signal) (bool, error) {
	if g.pidfd == nil {
		holds, _, err := groupHoldsLock(path, g.id)
		if err != nil {
			return false, err
		}
		if !holds {
			if held, err := heldBy(path, pid); err != nil || !held {
				return false, err
			}
			return false, &LeftoversError{Path: path, PID: pid}
		}
	}
	return true, g.signal(sig)
}

// stopLeftovers ends the processes that still hold the pidfile's lock
// after the daemon's pid has exited. While some of the grace period is
// left (deadline not zero) it sends sig to the group and, each time one of
// the group's members exits, looks at the lock again: no polling, and no
// lock of its own that could get in the way of the removal. Then it sends
// SIGKILL to the group, waits for its members to exit (on their pidfds)
// and looks at the lock once more. A nil g (the daemon led no group) only
// waits for the grace period to end. The wait after SIGKILL lasts at most
// opts.KillTimeout.
func stopLeftovers(ctx context.Context, path string, g *group, pid int, opts StopOptions, deadline time.Time, res *StopResult) error {
	sig := opts.Signal
	if held, err := heldBy(path, pid); err != nil || !held {
		return err
	}
	if !deadline.IsZero() {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		if g != nil {
			res.Group = g.id
			if sent, err := signalGroup(path, g, pid, sig); err != nil || !sent {
				return err
			}
			for dctx.Err() == nil {
				if held, err := heldBy(path, pid); err != nil || !held {
					return err
				}
				err := g.waitAny(dctx)
				if errors.Is(err, errEmptyGroup) {
					break
				}
				if err != nil && dctx.Err() == nil {
					return err
				}
			}
		} else {
			<-dctx.Done()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("control: stop what pid %d left behind: %w", pid, ctx.Err())
		}
		if held, err := heldBy(path, pid); err != nil || !held {
			return err
		}
	}
	if g == nil {
		return &LeftoversError{Path: path, PID: pid}
	}
	res.Group, res.Killed = g.id, true
	if sent, err := signalGroup(path, g, pid, unix.SIGKILL); err != nil || !sent {
		return err
	}
	kctx, cancel := context.WithTimeout(ctx, opts.KillTimeout)
	err := g.wait(kctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil && kctx.Err() != nil {
			return fmt.Errorf("control: process group %d %w (waited %s)", g.id, ErrStillAlive, opts.KillTimeout)
		}
		return err
	}
	held, err := heldBy(path, pid)
	if err != nil {
		return err
	}
	if held {
		return &LeftoversError{Path: path, PID: pid, Group: g.id}
	}
	return nil
}

// heldBy reports whether the pidfile at path still names pid and is
// write-locked. A pidfile that now names another pid belongs to a new
// instance, which is not pid's leftovers.
func heldBy(path string, pid int) (bool, error) {
	st, err := pidfile.Probe(path)
	if err != nil {
		return false, fmt.Errorf("control: %w", err)
	}
	switch st.State {
	case pidfile.Orphaned, pidfile.Running, pidfile.Unverified:
		return st.PID == pid, nil
	}
	return false, nil
}

// process is a daemon pinned by a pidfd.
type process struct {
	pid    int
	path   string
	fd     *os.File // pidfd, nonblocking, registered with the runtime poller
	leader bool     // pid led its own process group once pinned
}

// target resolves path to a running daemon and pins it with a pidfd.
//
// The proof that the pid is the daemon is pidfile.Probe's Running: that
// process has the pidfile open with its write lock. Once the pidfd is
// open, Probe runs again, and then the pidfd is checked to still name a
// live process: a process that is alive after the second proof had its
// number throughout, so the proof was about the process the pidfd pins,
// and signals go through that pidfd. When the daemon is not running the
// error wraps ErrNotRunning and the Status says why (absent, stale or
// orphaned); an Unverified pidfile gives ErrUnverified (ErrUnknownPID when
// it holds no pid).
func target(path string) (*process, pidfile.Status, error) {
	st, err := pidfile.Probe(path)
	if err != nil {
		return nil, st, fmt.Errorf("control: %w", err)
	}
	switch st.State {
	case pidfile.Running:
	case pidfile.Orphaned:
		return nil, st, fmt.Errorf("control: %s: pid %d is gone (processes it left behind still hold the lock): %w", path, st.PID, ErrNotRunning)
	case pidfile.Unverified:
		return nil, st, unverified(path, st)
	default:
		return nil, st, fmt.Errorf("control: %s: %w", path, ErrNotRunning)
	}
	fd, err := unix.PidfdOpen(st.PID, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		again, perr := pidfile.Probe(path)
		if perr != nil || again.State == pidfile.Running {
			again = pidfile.Status{State: pidfile.Orphaned, PID: st.PID}
		}
		return nil, again, fmt.Errorf("control: %s: pid %d: %w", path, st.PID, ErrNotRunning)
	}
	if err != nil {
		return nil, st, fmt.Errorf("control: pidfd_open %d: %w", st.PID, err)
	}
	p := &process{pid: st.PID, path: path, fd: os.NewFile(uintptr(fd), "pidfd")}
	// Asked once pinned: a zombie keeps its group, and the lock check
	// below rules out a recycled pid.
	pgid, err := unix.Getpgid(st.PID)
	p.leader = err == nil && pgid == st.PID
	again, err := pidfile.Probe(path)
	switch {
	case err != nil:
		p.close()
		return nil, again, fmt.Errorf("control: %w", err)
	case again.PID != st.PID && again.State != pidfile.Absent:
		p.close()
		return nil, again, fmt.Errorf("control: %s: pid changed from %d to %d meanwhile; try again", path, st.PID, again.PID)
	case again.State == pidfile.Unverified:
		p.close()
		return nil, again, unverified(path, again)
	case again.State != pidfile.Running, p.exited():
		p.close()
		return nil, again, fmt.Errorf("control: %s: pid %d: %w", path, st.PID, ErrNotRunning)
	}
	return p, st, nil
}

// unverified is the error for a pidfile.Unverified status.
func unverified(path string, st pidfile.Status) error {
	if st.PID == 0 {
		return fmt.Errorf("control: %s: %w", path, ErrUnknownPID)
	}
	return fmt.Errorf("control: %w: %w (lslocks or fuser -v show who holds it)", st.Reason, ErrUnverified)
}

func (p *process) close() { p.fd.Close() }

// exited reports whether the pinned process has exited (its pidfd is
// readable; a zombie counts).
func (p *process) exited() bool {
	rc, err := p.fd.SyscallConn()
	if err != nil {
		return true
	}
	done := true
	rc.Control(func(fd uintptr) {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		done = err != nil || n > 0
	})
	return done
}

func (p *process) signal(sig syscall.Signal) error {
	if err := pidfdSignal(p.fd, sig, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("control: send %s to pid %d: %w", unix.SignalName(sig), p.pid, err)
	}
	return nil
}

// pidfdSignal is pidfd_send_signal(2) on a pidfd held by an *os.File.
func pidfdSignal(f *os.File, sig syscall.Signal, flags int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, flags) }); err != nil {
		return err
	}
	return serr
}

// wait blocks until the process has exited or ctx is done. The pidfd
// becomes readable at exit; the runtime poller wakes us then.
func (p *process) wait(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		p.fd.SetReadDeadline(dl)
	} else {
		p.fd.SetReadDeadline(time.Time{})
	}
	expired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		p.fd.SetReadDeadline(time.Unix(1, 0))
		close(expired)
	})
	defer func() {
		// Let a late f finish before returning, so that it cannot undo
		// the deadline of a later wait on the same pidfd.
		if !stop() {
			<-expired
		}
	}()
	rc, err := p.fd.SyscallConn()
	if err != nil {
		return err
	}
	err = rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 0)
		return err == nil && n > 0
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// Abort ends a program that a launcher has just started with pf's locked
// descriptor (as `daemonctl run --daemon` does) when the start cannot be
// completed, such as when its pid cannot be written into the pidfile: it
// sends SIGKILL to the program (to its process group when it leads one,
// which reaches the children that inherited the descriptor too), waits up
// to DefaultKillTimeout for the program to exit, and removes the pidfile.
//
// The program is signalled only once, pinned by a pidfd, it is seen to
// hold pf's write lock, which only processes that inherited pf's open file
// description can. A program that has exited already is not an error.
// Errors: ErrUnverified when pid is alive but does not hold the lock (it
// closed the descriptor): it is left alone; ErrStillAlive; permission to
// signal. The pidfile is removed in every case.
func Abort(ctx context.Context, pf *pidfile.File, pid int) error {
	err := abort(ctx, pf, pid)
	if rerr := pf.Remove(); err == nil && rerr != nil {
		err = fmt.Errorf("control: %w", rerr)
	}
	return err
}

func abort(ctx context.Context, pf *pidfile.File, pid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(pf.File().Fd()), &st); err != nil {
		return fmt.Errorf("control: stat %s: %w", pf.Path(), err)
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: pidfd_open %d: %w", pid, err)
	}
	p := &process{pid: pid, path: pf.Path(), fd: os.NewFile(uintptr(fd), "pidfd")}
	defer p.close()
	pgid, err := unix.Getpgid(pid)
	leader := err == nil && pgid == pid
	held, err := pidfile.HoldsLock(pid, &st)
	switch {
	case p.exited():
		return nil
	case err != nil:
		return fmt.Errorf("control: pid %d: %w: %w", pid, err, ErrUnverified)
	case !held:
		return fmt.Errorf("control: pid %d no longer holds %s: %w", pid, pf.Path(), ErrUnverified)
	}
	// Alive after the check: the check was about the pinned process.
	if leader {
		g := &group{id: pid, pidfd: p.fd}
		if err := g.signal(unix.SIGKILL); err != nil {
			return err
		}
	} else if err := p.signal(unix.SIGKILL); err != nil {
		return err
	}
	kctx, cancel := context.WithTimeout(ctx, DefaultKillTimeout)
	defer cancel()
	if err := p.wait(kctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("control: kill pid %d: %w", pid, ctx.Err())
		}
		return fmt.Errorf("control: pid %d %w (waited %s)", pid, ErrStillAlive, DefaultKillTimeout)
	}
	return nil
}
