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
// absent or stale, and never signals a pid whose pidfile lock is gone.
func Signal(path string, sig syscall.Signal) (int, error) {
	t, err := target(path)
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
// result says so. When Stop returns nil the process has exited. The
// pidfile is removed once its lock is free (a daemon usually removes it
// itself). Errors: permission to signal, a pidfile that stays locked after
// the process exited (one of its children inherited the lock), or ctx
// ending first.
func Stop(ctx context.Context, path string, opts StopOptions) (StopResult, error) {
	if opts.Signal == 0 {
		opts.Signal = unix.SIGTERM
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultStopTimeout
	}
	var res StopResult
	t, err := target(path)
	switch {
	case errors.Is(err, ErrNotRunning):
		st, perr := pidfile.Probe(path)
		if perr == nil && st.State == pidfile.Stale {
			if err := pidfile.RemoveStale(path); err != nil && !errors.Is(err, pidfile.ErrAlreadyRunning) {
				return res, fmt.Errorf("control: %w", err)
			}
			res.RemovedStale = true
		}
		return res, nil
	case err != nil:
		return res, err
	}
	defer t.close()
	res.PID = t.pid
	if opts.Timeout > 0 {
		if err := t.signal(opts.Signal); err != nil {
			return res, err
		}
		wctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		err = t.wait(wctx)
		cancel()
		if err != nil && ctx.Err() != nil {
			return res, fmt.Errorf("control: stop pid %d: %w", t.pid, ctx.Err())
		}
	}
	if err != nil || opts.Timeout < 0 {
		res.Killed = true
		if err := t.signal(unix.SIGKILL); err != nil {
			return res, err
		}
		if err := t.wait(ctx); err != nil {
			return res, fmt.Errorf("control: stop pid %d after SIGKILL: %w", t.pid, err)
		}
	}
	if err := pidfile.RemoveStale(path); err != nil {
		return res, fmt.Errorf("control: pid %d exited but %w", t.pid, err)
	}
	return res, nil
}

// process is a daemon pinned by a pidfd.
type process struct {
	pid  int
	path string
	fd   *os.File // pidfd, nonblocking, registered with the runtime poller
}

// target resolves path to a running daemon and pins it with a pidfd,
// checking the lock again after pidfd_open so that the pidfd cannot refer
// to a recycled pid.
func target(path string) (*process, error) {
	st, err := pidfile.Probe(path)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if st.State != pidfile.Running {
		return nil, fmt.Errorf("control: %s: %w", path, ErrNotRunning)
	}
	if st.PID == 0 {
		return nil, fmt.Errorf("control: %s: %w", path, ErrUnknownPID)
	}
	fd, err := unix.PidfdOpen(st.PID, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("control: %s: pid %d: %w", path, st.PID, ErrNotRunning)
	}
	if err != nil {
		return nil, fmt.Errorf("control: pidfd_open %d: %w", st.PID, err)
	}
	p := &process{pid: st.PID, path: path, fd: os.NewFile(uintptr(fd), "pidfd")}
	if again, err := pidfile.Probe(path); err != nil || again.State != pidfile.Running || again.PID != st.PID {
		p.close()
		return nil, fmt.Errorf("control: %s: pid %d: %w", path, st.PID, ErrNotRunning)
	}
	return p, nil
}

func (p *process) close() { p.fd.Close() }

func (p *process) signal(sig syscall.Signal) error {
	rc, err := p.fd.SyscallConn()
	if err != nil {
		return fmt.Errorf("control: signal pid %d: %w", p.pid, err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return fmt.Errorf("control: signal pid %d: %w", p.pid, err)
	}
	if serr != nil && !errors.Is(serr, unix.ESRCH) {
		return fmt.Errorf("control: send %s to pid %d: %w", unix.SignalName(sig), p.pid, serr)
	}
	return nil
}

// wait blocks until the process has exited or ctx is done. The pidfd
// becomes readable at exit; the runtime poller wakes us then.
func (p *process) wait(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		p.fd.SetReadDeadline(dl)
	} else {
		p.fd.SetReadDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { p.fd.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
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
