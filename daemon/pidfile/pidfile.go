package pidfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by this package. Check them with errors.Is.
var (
	// ErrAlreadyRunning means another live process holds the pidfile's lock.
	// The error also satisfies errors.As with *RunningError, which carries
	// the holder's pid.
	ErrAlreadyRunning = errors.New("already running")
	// ErrInvalid means the pidfile exists but is not a regular file (for
	// example a symbolic link or a directory) or does not hold a pid.
	ErrInvalid = errors.New("pidfile: invalid pidfile")
	// ErrUnsupported is returned on operating systems without OFD locks.
	ErrUnsupported = errors.New("pidfile: not supported on this system")
)

// RunningError reports that the pidfile at Path is locked by a live
// process. PID is the pid written in the file, 0 when the holder had not
// written it yet.
type RunningError struct {
	Path string
	PID  int
}

func (e *RunningError) Error() string {
	if e.PID <= 0 {
		return fmt.Sprintf("pidfile: %s: already running (pid unknown)", e.Path)
	}
	return fmt.Sprintf("pidfile: %s: already running (pid %d)", e.Path, e.PID)
}

// Is makes errors.Is(err, ErrAlreadyRunning) true.
func (e *RunningError) Is(target error) bool { return target == ErrAlreadyRunning }

// State is what Probe found at a pidfile path.
type State int

const (
	// Absent means there is no pidfile: not running.
	Absent State = iota
	// Stale means the pidfile exists but nobody holds its lock: the daemon
	// is dead (LSB "dead and pidfile exists").
	Stale
	// Running means a live process holds the lock.
	Running
)

// String returns "absent", "stale" or "running".
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Stale:
		return "stale"
	case Running:
		return "running"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Status is the result of Probe. PID is the pid written in the file (0 when
// the file is empty or unreadable as a pid); it is only meaningful to signal
// when State is Running.
type Status struct {
	State State
	PID   int
}

// parsePID reads the first line of a pidfile. It returns 0 and ErrInvalid
// for anything but a positive decimal number.
func parsePID(data []byte) (int, error) {
	line, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%w: content %q", ErrInvalid, line)
	}
	return pid, nil
}
