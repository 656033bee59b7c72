package control

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Errors returned by this package. Check them with errors.Is.
var (
	// ErrNotRunning means the pidfile is absent or stale: there is no
	// daemon to signal.
	ErrNotRunning = errors.New("not running")
	// ErrUnknownPID means the pidfile is locked but holds no pid.
	ErrUnknownPID = errors.New("pidfile is locked but holds no pid")
	// ErrUnverified means the pidfile is write-locked but the pid written
	// in it could not be shown to hold the lock (pidfile.Unverified): it
	// names a live process that does not hold it, or one whose
	// descriptors the caller may not read. Nothing is signalled.
	ErrUnverified = errors.New("pid not verified as the pidfile's holder; nothing signalled")
	// ErrStillAlive means a process was still there when the wait after
	// SIGKILL (StopOptions.KillTimeout) ended: it is stuck in the kernel
	// (uninterruptible sleep, a tracer holding it at exit).
	ErrStillAlive = errors.New("still alive after SIGKILL")
	// ErrBadSignal means a signal name or number was not recognised.
	ErrBadSignal = errors.New("unknown signal")
	// ErrLeftovers means the daemon's pid has exited but processes it
	// started still hold the pidfile's lock, and Stop cannot reach them
	// through the daemon's process group. The error also satisfies
	// errors.As with *LeftoversError.
	ErrLeftovers = errors.New("processes left behind hold the pidfile")
)

// LeftoversError reports processes that outlived the daemon (pid PID) and
// still hold the lock of the pidfile at Path, out of Stop's reach: the
// daemon did not lead a process group of its own (Group is 0), or they are
// outside its process group Group (they called setsid or setpgid, or were
// started by another group). Stop keeps the pidfile then: something of the
// old instance is alive.
type LeftoversError struct {
	Path  string
	PID   int
	Group int
}

func (e *LeftoversError) Error() string {
	if e.Group == 0 {
		return fmt.Sprintf("control: %s: pid %d exited but processes it started still hold the lock, and it did not lead a process group through which to stop them", e.Path, e.PID)
	}
	return fmt.Sprintf("control: %s: pid %d exited but processes outside its process group %d still hold the lock", e.Path, e.PID, e.Group)
}

// Is makes errors.Is(err, ErrLeftovers) true.
func (e *LeftoversError) Is(target error) bool { return target == ErrLeftovers }

// DefaultStopTimeout is the grace period Stop uses when
// StopOptions.Timeout is zero.
const DefaultStopTimeout = 10 * time.Second

// DefaultKillTimeout is how long Stop waits after SIGKILL when
// StopOptions.KillTimeout is zero.
const DefaultKillTimeout = 5 * time.Second

// StopOptions tunes Stop. The zero value sends SIGTERM and escalates to
// SIGKILL after DefaultStopTimeout.
type StopOptions struct {
	// Signal asks the daemon to stop; 0 means SIGTERM.
	Signal syscall.Signal
	// Timeout is how long to wait for the exit before SIGKILL; 0 means
	// DefaultStopTimeout, a negative value sends SIGKILL right away. One
	// grace period covers the daemon and what it left behind.
	Timeout time.Duration
	// KillTimeout bounds the wait for the exit after SIGKILL; 0 means
	// DefaultKillTimeout. A process still there then gives ErrStillAlive.
	KillTimeout time.Duration
}

// StopResult says what Stop did.
type StopResult struct {
	// PID is the process that was stopped, 0 when none was running.
	PID int
	// Killed is true when the grace period ran out and SIGKILL was sent.
	Killed bool
	// RemovedStale is true when a stale pidfile was deleted.
	RemovedStale bool
	// Group is the process group that Stop signalled because processes
	// the daemon left behind still held the pidfile's lock after its pid
	// had exited (PID is 0 when that pid was gone before Stop began). It
	// equals the daemon's pid; 0 means no group was signalled.
	Group int
	// Descendants is how many processes below the daemon (a keepalive
	// angel's worker, children that ignored the stop signal) were killed
	// before the daemon itself when the grace period ran out.
	Descendants int
}

// ParseSignal accepts a signal name with or without the SIG prefix, in any
// case ("HUP", "sigterm"), or a number ("15"). Anything else gives
// ErrBadSignal.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 && n < 65 {
			return syscall.Signal(n), nil
		}
		return 0, fmt.Errorf("control: %w: %q", ErrBadSignal, s)
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("control: %w: %q", ErrBadSignal, s)
}
