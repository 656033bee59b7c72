package readiness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// EnvFD names the environment variable holding the descriptor number of
// the write end in the daemon.
const EnvFD = "DAEMONCTL_READY_FD"

// ErrExited means the daemon closed the pipe (usually: it exited) before
// reporting anything.
var ErrExited = errors.New("readiness: daemon exited before it was ready")

// StartError is the start failure the daemon reported, with its own
// message.
type StartError struct{ Msg string }

func (e *StartError) Error() string { return e.Msg }

// Wait reads the daemon's report from r and closes r. It returns nil when
// the daemon said READY, a *StartError with the daemon's message, or
// ErrExited.
func Wait(r io.ReadCloser) error {
	defer r.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("readiness: read: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	switch {
	case line == "READY":
		return nil
	case strings.HasPrefix(line, "ERROR "):
		return &StartError{Msg: strings.TrimPrefix(line, "ERROR ")}
	case line == "":
		return ErrExited
	}
	return fmt.Errorf("readiness: unexpected report %q", line)
}

// Reporter is the daemon's end. A nil *Reporter (no launcher waiting)
// accepts every call and does nothing. It is safe for concurrent use; only
// the first report is sent.
type Reporter struct {
	once sync.Once
	f    *os.File
}

// NewReporter wraps the write end f.
func NewReporter(f *os.File) *Reporter { return &Reporter{f: f} }

// FromEnv returns the Reporter for the descriptor named by EnvFD, or nil
// when the variable is unset, not a decimal descriptor number above 2, or
// (on Linux) names a descriptor that is not the write end of a pipe: a
// variable inherited by mistake must not make the report go into, and
// close, a log file or a listener that happens to have that number.
func FromEnv(getenv func(string) string) *Reporter {
	n, err := strconv.ParseUint(getenv(EnvFD), 10, 31)
	if err != nil || n < 3 || !writablePipe(int(n)) {
		return nil
	}
	return NewReporter(os.NewFile(uintptr(n), "readiness"))
}

// Ready reports success and closes the pipe.
func (r *Reporter) Ready() error { return r.send("READY") }

// Fail reports err (on one line) and closes the pipe.
func (r *Reporter) Fail(err error) error {
	return r.send("ERROR " + strings.ReplaceAll(err.Error(), "\n", "; "))
}

// Close closes the pipe without a report; the launcher sees ErrExited
// unless a report was sent before.
func (r *Reporter) Close() error { return r.send("") }

func (r *Reporter) send(line string) error {
	if r == nil {
		return nil
	}
	var err error
	r.once.Do(func() {
		if line != "" {
			_, err = io.WriteString(r.f, line+"\n")
		}
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
	})
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	return nil
}
