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
	// ErrUntrusted means the pidfile is owned by a user other than root
	// and the caller (effective uid), or is writable by its group or by
	// anyone: whoever can write it can put any pid in it and lock it, so
	// Probe does not believe it (and Acquire replaces it).
	ErrUntrusted = errors.New("pidfile: untrusted pidfile")
)

// MaxPID is the largest pid Linux can hand out (PID_MAX_LIMIT on 64-bit
// systems, the ceiling of /proc/sys/kernel/pid_max). parsePID rejects
// anything larger.
const MaxPID = 1 << 22

// RunningError reports that the pidfile at Path is locked by a live
// process. PID is the pid written in the file, 0 when the holder had not
// written it yet. Exited is true when that pid has exited (or is a zombie)
// while the lock is still held: processes it started inherited the locked
// descriptor and outlived it (the Orphaned state of Probe). Either way
// something of the old instance is alive and the pidfile is not taken over.
type RunningError struct {
	Path   string
	PID    int
	Exited bool
}

func (e *RunningError) Error() string {
	switch {
	case e.PID <= 0:
		return fmt.Sprintf("pidfile: %s: already running (pid unknown)", e.Path)
	case e.Exited:
		return fmt.Sprintf("pidfile: %s: pid %d is gone but processes it left behind still hold the lock", e.Path, e.PID)
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
	// Running means a live process holds the lock. When a pid is written
	// in the file, that process exists and has not exited.
	Running
	// Orphaned means the lock is held but the pid written in the file has
	// exited (or is a zombie): the daemon is dead, and processes it started
	// that inherited the locked descriptor (the fd 3 that `daemonctl run
	// --daemon` hands over) still hold the lock. For LSB status this is
	// "dead and pidfile exists"; the pidfile cannot be taken over until
	// those processes are gone.
	Orphaned
	// Unverified means a write lock is held but Probe could not tie it to
	// the pid written in the file, which is alive: that process holds no
	// write-locked descriptor of the file (its number was reused while
	// processes the daemon started keep the lock, or it closed its
	// descriptor), the file holds no pid, or Probe may not look at that
	// process's descriptors (another user's process, without
	// CAP_SYS_PTRACE). Status.Reason says which. Nothing may be signalled:
	// for LSB status this is "unknown".
	Unverified
)

// String returns "absent", "stale", "running", "orphaned" or "unverified".
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Stale:
		return "stale"
	case Running:
		return "running"
	case Orphaned:
		return "orphaned"
	case Unverified:
		return "unverified"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Status is the result of Probe. PID is the pid written in the file (0 when
// the file is empty or unreadable as a pid); it is only safe to signal
// when State is Running, which Probe reports only once it has seen that
// very process hold the file's write lock. With Orphaned it names the
// exited daemon, whose number stays reserved while its process group has
// members. Reason is nil except with Unverified, where it says why the
// lock could not be tied to PID.
type Status struct {
	State  State
	PID    int
	Reason error
}

// maxLine is the longest first line parsePID accepts: a pid and some
// blanks. Probe reads twice as much, so a longer line is refused whole
// rather than judged by a prefix.
const maxLine = 32

// parsePID reads the first line of a pidfile: decimal digits, with blanks
// around them allowed. It returns 0 and ErrInvalid for anything else (a
// sign, other characters, an empty line, a line longer than maxLine) and
// for a pid outside 1..MaxPID.
func parsePID(data []byte) (int, error) {
	line, _, _ := strings.Cut(string(data), "\n")
	if len(line) > maxLine {
		return 0, fmt.Errorf("%w: first line of %d bytes", ErrInvalid, len(line))
	}
	s := strings.Trim(line, " \t\r")
	pid := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || pid > MaxPID {
			return 0, fmt.Errorf("%w: content %q", ErrInvalid, line)
		}
		pid = pid*10 + int(s[i]-'0')
	}
	if pid <= 0 || pid > MaxPID {
		return 0, fmt.Errorf("%w: content %q", ErrInvalid, line)
	}
	return pid, nil
}
