package supervise

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Policy says when a worker that ended on its own is restarted. The values
// are those of systemd's Restart= that make sense here.
type Policy string

// Restart policies.
const (
	// RestartOnFailure restarts after a non-zero exit or a death by signal.
	RestartOnFailure Policy = "on-failure"
	// RestartAlways restarts after any end that was not asked for.
	RestartAlways Policy = "always"
	// RestartNo never restarts: Run returns when the worker ends.
	RestartNo Policy = "no"
)

// ParsePolicy accepts "no", "on-failure" and "always"; "" means
// RestartOnFailure. Anything else gives ErrConfig.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return RestartOnFailure, nil
	case RestartOnFailure, RestartAlways, RestartNo:
		return p, nil
	}
	return "", fmt.Errorf("%w: restart policy %q (want no, on-failure or always)", ErrConfig, s)
}

// Defaults used when the Config fields are zero.
const (
	DefaultStartLimitBurst    = 5
	DefaultStartLimitInterval = 10 * time.Second
	// DefaultLeftoverTimeout is the grace period of a dead worker's
	// leftover processes between SIGTERM and SIGKILL.
	DefaultLeftoverTimeout = 5 * time.Second
	// DefaultStopTimeout is how long a worker gets to exit after the stop
	// signal before the supervisor sends SIGKILL to it and its process
	// group. It is below the 10 s that `daemonctl stop` waits by default
	// before it kills the supervisor itself, so that the supervisor has
	// ended the whole tree by then.
	DefaultStopTimeout = 8 * time.Second
)

// Errors returned by Run. Check them with errors.Is.
var (
	// ErrStartLimit means the worker was started StartLimitBurst times
	// within StartLimitInterval and the supervisor gave up.
	ErrStartLimit = errors.New("supervise: start limit hit")
	// ErrConfig means the Config is unusable.
	ErrConfig = errors.New("supervise: invalid config")
)

// Config describes the worker and how to keep it alive.
type Config struct {
	// Path is the worker program (not searched in $PATH); Args its argv
	// (empty means []string{Path}); Env its environment (nil means ours);
	// Dir its working directory ("" keeps ours).
	Path string
	Args []string
	Env  []string
	Dir  string
	// Files become the worker's descriptors 0, 1, 2…; it must hold at
	// least three entries.
	Files []*os.File
	// Credential, when not nil, is applied to the worker before exec.
	Credential *syscall.Credential

	// Restart is the policy; "" means RestartOnFailure.
	Restart Policy
	// Backoff is the delay before the first restart after a failure; it
	// doubles with every further failure up to MaxBackoff. 0 restarts at
	// once (and keeps restarting at once: 0 doubled is 0).
	Backoff time.Duration
	// MaxBackoff caps the delay; 0 means no growth (always Backoff).
	MaxBackoff time.Duration
	// StartLimitBurst starts within StartLimitInterval make Run give up
	// with ErrStartLimit. 0 means DefaultStartLimitBurst, a negative value
	// disables the limit. A worker that ran longer than the interval also
	// resets the backoff.
	StartLimitBurst int
	// StartLimitInterval is the window of the start limit; 0 means
	// DefaultStartLimitInterval.
	StartLimitInterval time.Duration

	// Prepare, when not nil, is called before start number n (1 for the
	// first) and returns descriptors appended to Files (as 3+len… in the
	// worker) and variables appended to Env for that start only; the
	// caller closes its copies after Started.
	Prepare func(n int) (files []*os.File, env []string)
	// Started, when not nil, is called after each successful exec with the
	// worker's pid and the start number (1 for the first).
	Started func(pid, n int)
	// Logf, when not nil, receives one line per event (start, death with
	// status and max RSS, leftovers stopped, restart delay, giving up).
	Logf func(format string, args ...any)
	// LeftoverTimeout is how long processes that a dead worker left
	// behind get to exit after SIGTERM before SIGKILL; 0 means
	// DefaultLeftoverTimeout.
	LeftoverTimeout time.Duration
	// StopTimeout is how long, after a stop request, the worker and what
	// it leaves behind get to exit before SIGKILL; 0 means
	// DefaultStopTimeout. Whoever stops the supervisor should wait longer
	// than this before killing it: a supervisor killed mid-stop cannot end
	// the worker's children (the worker itself dies with it).
	StopTimeout time.Duration
}

// Exit is how the last worker ended.
type Exit struct {
	// PID of the last worker.
	PID int
	// Code is the exit code, -1 when it died by a signal.
	Code int
	// Signal is the signal that killed it, 0 when it exited.
	Signal syscall.Signal
	// MaxRSS is the worker's peak resident set size in bytes (ru_maxrss).
	// Go starts children with vfork semantics, and at exec the kernel
	// folds the peak RSS of the shared (supervisor's) memory into the
	// child's figure: when MaxRSS is not above MaxRSSFloor it only says
	// "at most MaxRSS".
	MaxRSS int64
	// MaxRSSFloor is the supervisor's own peak RSS when it started the
	// worker (0 when unknown).
	MaxRSSFloor int64
	// Stopped is true when the supervisor had been told to stop (SIGTERM,
	// SIGINT or the context) when the worker ended.
	Stopped bool
}

// ExitCode returns the exit code a supervisor should exit with: 0 for a
// worker that exited 0 or died of the stop signal it was sent, the
// worker's code otherwise, and 128+signal for any other death by signal.
func (e Exit) ExitCode() int {
	switch {
	case e.Signal == 0:
		return e.Code
	case e.Stopped && (e.Signal == syscall.SIGTERM || e.Signal == syscall.SIGINT):
		return 0
	default:
		return 128 + int(e.Signal)
	}
}

// String describes the end: "exited with status 1" or "killed by signal
// 9 (SIGKILL)".
func (e Exit) String() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(e.Signal), sigName(e.Signal))
	}
	return fmt.Sprintf("exited with status %d", e.Code)
}

// RSS describes MaxRSS for a log line: "12.0 MiB", or "≤ 3.1 MiB" when
// the figure cannot be told apart from the supervisor's own.
func (e Exit) RSS() string {
	mib := fmt.Sprintf("%.1f MiB", float64(e.MaxRSS)/(1<<20))
	if e.MaxRSS <= e.MaxRSSFloor {
		return "≤ " + mib
	}
	return mib
}

// failed reports whether the worker ended with a failure.
func (e Exit) failed() bool { return e.Signal != 0 || e.Code != 0 }

// shouldRestart applies the policy to an end that was not asked for.
func (p Policy) shouldRestart(e Exit) bool {
	switch p {
	case RestartAlways:
		return true
	case RestartNo:
		return false
	default:
		return e.failed()
	}
}

// nextBackoff doubles d within [initial, max].
func nextBackoff(d, initial, max time.Duration) time.Duration {
	if d == 0 {
		return initial
	}
	if max <= initial {
		return initial
	}
	if d *= 2; d > max {
		return max
	}
	return d
}

// startLimit remembers recent start times.
type startLimit struct {
	burst    int
	interval time.Duration
	starts   []time.Time
}

// allow records a start at now and reports whether it is within the limit.
func (l *startLimit) allow(now time.Time) bool {
	if l.burst < 0 {
		return true
	}
	keep := l.starts[:0]
	for _, t := range l.starts {
		if now.Sub(t) < l.interval {
			keep = append(keep, t)
		}
	}
	l.starts = keep
	if len(l.starts) >= l.burst {
		return false
	}
	l.starts = append(l.starts, now)
	return true
}
