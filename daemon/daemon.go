package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/daemonctl/daemonctl/daemon/readiness"
	"github.com/daemonctl/daemonctl/daemon/sdnotify"

	"github.com/daemonctl/daemonctl/daemon/supervise"
)

// Mode selects how Run runs the program.
type Mode int

const (
	// ModeAuto runs in the foreground: under systemd (NOTIFY_SOCKET) and
	// everywhere else. A program offers ModeClassic behind a flag.
	ModeAuto Mode = iota
	// ModeForeground never detaches.
	ModeForeground
	// ModeClassic detaches like a traditional Unix daemon, unless
	// NOTIFY_SOCKET is set: a service manager that waits for READY=1
	// never wants its main process to fork away.
	ModeClassic
)

// Environment variable naming the stage of a re-executed program.
const envStage = "DAEMONCTL_STAGE"

// Stage names.
const (
	stageDaemon = "daemon" // the detached daemon of classic mode
	stageWorker = "worker" // a worker under the keepalive angel
)

// DefaultShutdownTimeout bounds the graceful shutdown when
// Config.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 10 * time.Second

// Errors returned by Run. Check them with errors.Is / errors.As.
var (
	// ErrShutdownTimeout means Handlers.Run did not return within
	// Config.ShutdownTimeout after a stop was requested.
	ErrShutdownTimeout = errors.New("daemon: graceful shutdown timed out")
	// ErrConfig means the Config or Handlers are unusable.
	ErrConfig = errors.New("daemon: invalid config")
)

// Config describes the daemon. The zero value runs in the foreground with
// no pidfile, no privilege drop and logs on standard error.
type Config struct {
	// Mode; the zero value is ModeAuto.
	Mode Mode
	// PIDFile, when not "", is created (with its directory, owned by User),
	// locked for the daemon's lifetime, holds the daemon's pid (the
	// angel's with Keepalive) and is removed at a clean exit. A second
	// instance fails with pidfile.ErrAlreadyRunning. Only a directory
	// created here is given to User, through a descriptor that is checked
	// to be that new directory; an existing one is left as it is. The
	// directories above it must be writable by root only: they are not
	// checked, and whoever may rename entries in them may point the path
	// elsewhere.
	PIDFile string
	// User and Group, when not "", are the account the daemon drops to
	// after creating the pidfile and the log file (Group "" means the
	// user's primary group; supplementary groups are the user's).
	User, Group string
	// Dir is the working directory; "" means "/" in classic mode and
	// unchanged otherwise.
	Dir string
	// Umask is applied in classic mode; 0 means 022, a negative value
	// keeps the inherited umask.
	Umask int
	// LogFile, when not "", receives standard output and standard error
	// (so also the Logger's lines and panics); it is created (0640, owned
	// by User) and reopened on SIGHUP (appended to, never truncated, never
	// chowned; the old file is kept when the path cannot be opened). It is
	// opened by logfile.Open: a symbolic link, a FIFO, a socket, a device
	// not owned by root, a file with more than one link or of another user
	// than root and User at the path
	// fails the start (and is not taken at a reopen). "" keeps standard
	// error in the foreground and means /dev/null in classic mode. When
	// User cannot create files in its directory, the daemon cannot make a
	// new log after a rename: rotate with logrotate's create (owned by
	// User) or copytruncate; Run logs a warning at start in that case.
	LogFile string
	// LogLevel is the Logger's minimum level; zero is slog.LevelInfo.
	LogLevel slog.Level
	// ShutdownTimeout bounds Handlers.Run's return after SIGTERM/SIGINT;
	// 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Keepalive, when not nil and the mode is classic, runs the daemon
	// under a supervising angel that restarts it (see package supervise).
	Keepalive *Keepalive
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Keepalive configures the angel; the fields mean what the supervise.Config
// fields of the same names mean, and the zero value restarts on failure
// at once with the default start limit.
type Keepalive struct {
	Restart            supervise.Policy
	Backoff            time.Duration
	MaxBackoff         time.Duration
	StartLimitBurst    int
	StartLimitInterval time.Duration
}

// Handlers are the program's part. Only Run is required.
type Handlers struct {
	// Run serves until ctx is done, calling d.Ready once it serves. An
	// error returned before Ready is the start error the launcher prints.
	Run func(ctx context.Context, d *Daemon) error
	// Reload is called on SIGHUP, after the log file was reopened. Its
	// error is logged; the daemon goes on.
	Reload func(ctx context.Context, d *Daemon) error
	// User1 and User2 are called on SIGUSR1 and SIGUSR2.
	User1, User2 func(ctx context.Context, d *Daemon)
}

// ExitError carries the exit code of a stage that has to end the process
// with a specific code (the angel passing on its worker's status).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return "daemon: exit status " + strconv.Itoa(e.Code) }

// ExitCode maps Run's result to a process exit code: 0 for nil, the code
// of an *ExitError, 1 for anything else.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	default:
		return 1
	}
}

// Daemon is the running daemon's handle, given to the Handlers. Its
// methods are safe for concurrent use.
type Daemon struct {
	logger    *slog.Logger
	notifier  *sdnotify.Notifier
	reporter  *readiness.Reporter
	listeners map[string][]net.Listener
	readyOnce sync.Once
	ready     chan struct{}
	mu        sync.Mutex
}

// Logger returns the daemon's logger: journald priority prefixes when
// standard error is the journal (JOURNAL_STREAM), plain text otherwise.
func (d *Daemon) Logger() *slog.Logger { return d.logger }

// Notifier returns the sd_notify client; it is a no-op outside systemd.
func (d *Daemon) Notifier() *sdnotify.Notifier { return d.notifier }

// Ready reports that the daemon serves: READY=1 to systemd, and to the
// launching process in classic mode (which then exits 0). Later calls do
// nothing. Errors are those of the notification.
func (d *Daemon) Ready() error {
	var err error
	d.readyOnce.Do(func() {
		close(d.ready)
		err = errors.Join(d.notifier.Ready(), d.reporter.Ready())
	})
	return err
}

// Status sends a one-line STATUS= to systemd (a no-op elsewhere) and logs
// it at debug level.
func (d *Daemon) Status(text string) error {
	d.logger.Debug("status", "status", text)
	return d.notifier.Status(text)
}

// Listen returns the socket-activated listener named name (a .socket
// unit's FileDescriptorName=, "unknown" when unnamed; the only activated
// listener is taken whatever its name), or else listens on network and
// address itself. Each activated listener is handed out once.
func (d *Daemon) Listen(name, network, address string) (net.Listener, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, key := range []string{name, sdnotify.UnknownName} {
		if ls := d.listeners[key]; len(ls) > 0 {
			d.listeners[key] = ls[1:]
			return ls[0], nil
		}
	}
	if len(d.listeners) == 1 {
		for key, ls := range d.listeners {
			if len(ls) > 0 {
				d.listeners[key] = ls[1:]
				return ls[0], nil
			}
		}
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return ln, nil
}
