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
	// ErrBadSignal means a signal name or number was not recognised.
	ErrBadSignal = errors.New("unknown signal")
)

// DefaultStopTimeout is the grace period Stop uses when
// StopOptions.Timeout is zero.
const DefaultStopTimeout = 10 * time.Second

// StopOptions tunes Stop. The zero value sends SIGTERM and escalates to
// SIGKILL after DefaultStopTimeout.
type StopOptions struct {
	// Signal asks the daemon to stop; 0 means SIGTERM.
	Signal syscall.Signal
	// Timeout is how long to wait for the exit before SIGKILL; 0 means
	// DefaultStopTimeout, a negative value sends SIGKILL right away.
	Timeout time.Duration
}

// StopResult says what Stop did.
type StopResult struct {
	// PID is the process that was stopped, 0 when none was running.
	PID int
	// Killed is true when the grace period ran out and SIGKILL was sent.
	Killed bool
	// RemovedStale is true when a stale pidfile was deleted.
	RemovedStale bool
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
