package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/angel"
	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/logfile"
	"github.com/daemonctl/daemonctl/daemon/logging"
	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/daemon/privdrop"
	"github.com/daemonctl/daemonctl/daemon/readiness"
	"github.com/daemonctl/daemonctl/daemon/sdnotify"
	"golang.org/x/sys/unix"
)

// Run runs the daemon described by cfg and h in the way the mode and the
// current stage call for:
//
//   - a re-executed detach intermediate or keepalive angel: does that
//     stage's work and returns (an *ExitError carries the angel's status);
//   - classic mode, launching process: starts the daemon detached and
//     returns nil once it called Ready, or its start error (a
//     *readiness.StartError with the daemon's message, or
//     readiness.ErrExited);
//   - otherwise (foreground, systemd, the detached daemon itself, a
//     keepalive worker): sets up pidfile, log file and privileges, calls
//     h.Run, handles signals until it returns, cleans up.
//
// Errors from the setup wrap their package's errors (for example
// pidfile.ErrAlreadyRunning, privdrop.ErrNotDropped); h.Run's own error is
// returned as is; ErrShutdownTimeout when h.Run outlives the timeout.
func Run(ctx context.Context, cfg Config, h Handlers) error {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if code, ok := detach.Stage(getenv); ok {
		return exitErr(code)
	}
	if code, ok := angel.Stage(getenv); ok {
		return exitErr(code)
	}
	if h.Run == nil {
		return fmt.Errorf("%w: Handlers.Run is nil", ErrConfig)
	}
	stage := getenv(envStage)
	classic := cfg.Mode == ModeClassic && getenv("NOTIFY_SOCKET") == ""
	if classic && stage == "" {
		return launch(cfg)
	}
	return serve(ctx, cfg, h, getenv, classic, stage)
}

func exitErr(code int) error {
	if code == 0 {
		return nil
	}
	return &ExitError{Code: code}
}

// launch starts the detached daemon (or its angel) and waits for its
// readiness report.
func launch(cfg Config) error {
	cred, err := credential(cfg)
	if err != nil {
		return err
	}
	if cfg.PIDFile != "" {
		abs, err := filepath.Abs(cfg.PIDFile)
		if err != nil {
			return fmt.Errorf("daemon: pidfile: %w", err)
		}
		cfg.PIDFile = abs
		if err := runtimeDir(filepath.Dir(abs), cred); err != nil {
			return err
		}
	}
	// The real path rather than /proc/self/exe, so that ps and pgrep show
	// the program's name.
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	var cmd *detach.Command
	if k := cfg.Keepalive; k != nil {
		opts := angel.Options{
			Pidfile: cfg.PIDFile, Restart: k.Restart, Backoff: k.Backoff, MaxBackoff: k.MaxBackoff,
			StartLimitBurst: k.StartLimitBurst, StartLimitInterval: k.StartLimitInterval, RelayReady: true,
		}
		env := append(os.Environ(), envStage+"="+stageWorker)
		cmd = angel.Command(exe, opts, exe, os.Args, env, nil, w)
	} else {
		env := append(os.Environ(), envStage+"="+stageDaemon, readiness.EnvFD+"=3")
		cmd = &detach.Command{Path: exe, Args: os.Args, Env: env, Files: []*os.File{nil, nil, nil, w}}
	}
	_, err = detach.Start(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("daemon: %w", err)
	}
	return readiness.Wait(r)
}

// serve runs the daemon in this process.
func serve(ctx context.Context, cfg Config, h Handlers, getenv func(string) string, classic bool, stage string) (err error) {
	d := &Daemon{
		notifier: sdnotify.FromEnv(getenv),
		reporter: readiness.FromEnv(getenv),
		ready:    make(chan struct{}),
	}
	// Nothing we inherited (the readiness pipe, activated sockets, a
	// caller's stray descriptors) leaks into programs the daemon runs, and
	// the stage variables do not reach them either.
	if err := detach.CloseOnExec(); err != nil {
		return err
	}
	for _, key := range []string{envStage, readiness.EnvFD} {
		os.Unsetenv(key)
	}
	defer func() {
		if err != nil {
			d.reporter.Fail(err)
			var errno syscall.Errno
			if errors.As(err, &errno) {
				d.notifier.Errno(int(errno))
			}
		}
		d.reporter.Close()
	}()
	if classic || stage != "" {
		// Job-control signals mean nothing to a daemon without a terminal.
		signal.Ignore(unix.SIGTTOU, unix.SIGTTIN, unix.SIGTSTP)
	}
	// Catch the signals first: a SIGHUP or SIGTERM during setup must not
	// kill us with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2)
	defer signal.Stop(sigs)

	cred, err := credential(cfg)
	if err != nil {
		return err
	}
	if cfg.PIDFile != "" && stage != stageWorker {
		pf, err := acquirePidfile(cfg.PIDFile, cred)
		if err != nil {
			return err
		}
		defer pf.Remove()
	}
	logs := &logFile{path: cfg.LogFile}
	if err := logs.open(cred); err != nil {
		return err
	}
	if cred != nil {
		if err := privdrop.Drop(cred); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	if classic || stage != "" {
		umask := cfg.Umask
		if umask == 0 {
			umask = 0o022
		}
		if umask > 0 {
			unix.Umask(umask)
		}
	}
	dir := cfg.Dir
	if dir == "" && (classic || stage != "") {
		dir = "/"
	}
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	d.logger = logging.New(os.Stderr, getenv, cfg.LogLevel)
	// A restarted keepalive worker (the only kind without a readiness
	// pipe) does not repeat the first one's warning.
	if cred != nil && (stage != stageWorker || d.reporter != nil) {
		logs.checkRotatable(d.logger, cfg.User, cred)
	}
	if d.listeners, err = sdnotify.Listeners(getenv); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	return d.loop(ctx, cfg, h, logs, sigs)
}

// loop runs h.Run and dispatches signals until it returns.
func (d *Daemon) loop(ctx context.Context, cfg Config, h Handlers, logs *logFile, sigs <-chan os.Signal) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx, d) }()
	wdCtx, stopWatchdog := context.WithCancel(ctx)
	defer stopWatchdog()
	go func() {
		select {
		case <-d.ready:
			d.notifier.RunWatchdog(wdCtx)
		case <-wdCtx.Done():
		}
	}()
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	var deadline <-chan time.Time
	stop := func(why string) {
		if deadline != nil {
			return
		}
		d.logger.Info("stopping", "reason", why)
		d.notifier.Stopping()
		cancel()
		deadline = time.After(timeout)
	}
	ctxDone := ctx.Done()
	for {
		select {
		case err := <-done:
			if err != nil && deadline == nil {
				d.logger.Error("stopped", "err", err)
			}
			if err != nil && errors.Is(err, context.Canceled) && deadline != nil {
				err = nil
			}
			return err
		case <-ctxDone:
			ctxDone = nil
			stop("context done")
		case <-deadline:
			d.logger.Error("graceful shutdown timed out", "timeout", timeout)
			return ErrShutdownTimeout
		case s := <-sigs:
			switch s {
			case unix.SIGTERM, unix.SIGINT:
				stop(unix.SignalName(s.(syscall.Signal)))
			case unix.SIGHUP:
				d.reload(runCtx, h, logs)
			case unix.SIGUSR1:
				if h.User1 != nil {
					h.User1(runCtx, d)
				}
			case unix.SIGUSR2:
				if h.User2 != nil {
					h.User2(runCtx, d)
				}
			}
		}
	}
}

// reload handles SIGHUP: RELOADING=1, reopen the log, the program's
// Reload, READY=1 (so that Type=notify-reload completes).
func (d *Daemon) reload(ctx context.Context, h Handlers, logs *logFile) {
	d.notifier.Reloading()
	if err := logs.reopen(); err != nil {
		d.logger.Error("cannot reopen the log file, still writing to the old one", "err", err)
	}
	if h.Reload != nil {
		if err := h.Reload(ctx, d); err != nil {
			d.logger.Error("reload", "err", err)
		}
	}
	d.logger.Info("reloaded")
	d.notifier.Ready()
}

// credential resolves cfg.User/Group, nil when no drop is asked for.
func credential(cfg Config) (*syscall.Credential, error) {
	if cfg.User == "" && cfg.Group == "" {
		return nil, nil
	}
	name := cfg.User
	if name == "" {
		name = fmt.Sprint(os.Getuid())
	}
	cred, err := privdrop.Lookup(name, cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return cred, nil
}

// runtimeDir creates dir (0755) when missing and gives it to cred, so that
// the daemon can remove its pidfile after dropping privileges (a directory
// entry, which the directory's owner may remove; the pidfile itself stays
// root's). Since the service user may then write in it, whatever sits in
// it is hostile input to root, as package pidfile assumes.
//
// An existing directory is left as it is, whoever owns it: it is never
// chowned. A new one is given away only when no one but root (or us) can
// write its parent: whoever may write the parent can replace the new name,
// between the mkdir and the chown, with a symbolic link or with another
// root directory of theirs, and root would hand that over. So the parent
// is opened and checked first (owned by root or us, not writable by group
// or others), and the directory is made, opened without following a link
// and fchowned relative to that descriptor, never by name. With a parent
// others may write, the directory is made but kept root's, and the start
// fails with the reason. The directories above the parent are not checked
// (Config.PIDFile says they must be root's).
func runtimeDir(dir string, cred *syscall.Credential) error {
	if cred == nil {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("daemon: pidfile directory: %w", err)
		}
		return nil
	}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	pfd, err := unix.Open(parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("daemon: pidfile directory: %w", &os.PathError{Op: "open", Path: parent, Err: err})
	}
	defer unix.Close(pfd)
	err = unix.Mkdirat(pfd, base, 0o755)
	switch {
	case errors.Is(err, unix.EEXIST):
		return nil
	case err != nil:
		return fmt.Errorf("daemon: pidfile directory: %w", &os.PathError{Op: "mkdir", Path: dir, Err: err})
	}
	var pst unix.Stat_t
	if err := unix.Fstat(pfd, &pst); err != nil {
		return fmt.Errorf("daemon: pidfile directory: %w", &os.PathError{Op: "fstat", Path: parent, Err: err})
	}
	if (pst.Uid != 0 && int(pst.Uid) != os.Geteuid()) || pst.Mode&0o022 != 0 {
		return fmt.Errorf("daemon: pidfile directory %s: not giving it to uid %d: its parent %s may be written by others (owner uid %d, mode %04o), who could swap it for another directory or a link", dir, cred.Uid, parent, pst.Uid, pst.Mode&0o7777)
	}
	fd, err := unix.Openat(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("daemon: pidfile directory %s was replaced after being created: %w", dir, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("daemon: pidfile directory: %w", &os.PathError{Op: "fstat", Path: dir, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("daemon: pidfile directory %s was replaced after being created (now owned by uid %d, mode %o); not giving it to uid %d", dir, st.Uid, st.Mode, cred.Uid)
	}
	if err := unix.Fchown(fd, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("daemon: pidfile directory: %w", &os.PathError{Op: "fchown", Path: dir, Err: err})
	}
	return nil
}

// acquirePidfile takes the pidfile and writes our pid before privileges
// are dropped. The file stays owned by whoever created it (root): handing
// it to the service user would let that user write any pid into it and
// hold its lock, and stop or reload, run as root, would then signal that
// pid. The daemon keeps the locked descriptor it opened; after the drop
// it can still remove the file from a runtime directory it owns, not from
// a sticky one (such as /tmp): there the file is left stale, to be taken
// over by the next start (stop removes it in any case). A failed write
// removes the pidfile and fails the start before anything runs.
func acquirePidfile(path string, cred *syscall.Credential) (*pidfile.File, error) {
	if err := runtimeDir(filepath.Dir(path), cred); err != nil {
		return nil, err
	}
	pf, err := pidfile.Acquire(path)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	if err := pf.Write(os.Getpid()); err != nil {
		pf.Remove()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return pf, nil
}

// logFile is the file behind standard output and standard error.
type logFile struct {
	path string
}

// open opens (or creates, owned by cred) the log file and points fds 1 and
// 2 at it. It runs as root before the privilege drop, in a directory the
// daemon's user may own: package logfile refuses what that user may have
// planted there.
func (l *logFile) open(cred *syscall.Credential) error {
	if l.path == "" {
		return nil
	}
	abs, err := filepath.Abs(l.path)
	if err != nil {
		return fmt.Errorf("daemon: log file: %w", err)
	}
	l.path = abs
	return l.redirect(cred)
}

// checkRotatable runs after the privilege drop and logs one warning when
// the user the daemon now runs as cannot create files in the log's
// directory: after logrotate renames the log, reopen could then not make a
// new one and the daemon would go on writing to the renamed file. access(2)
// checks the real ids, which the drop set to the target user's.
func (l *logFile) checkRotatable(logger *slog.Logger, user string, cred *syscall.Credential) {
	if l.path == "" {
		return
	}
	dir := filepath.Dir(l.path)
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err == nil {
		return
	}
	if user == "" {
		user = strconv.Itoa(int(cred.Uid))
	}
	logger.Warn("log directory not writable by the daemon's user: after a rename, SIGHUP cannot create a new log file there; "+
		"rotate with logrotate's create (new file owned by the user) or copytruncate", "dir", dir, "user", user)
}

// reopen opens the path again and points fds 1 and 2 at it: the new file
// logrotate made after renaming the old one, or the same file again. An
// existing file is appended to, never truncated, and refused on the same
// grounds as at start (a symbolic link swapped in between two rotations).
// When the path cannot be opened (a renamed log in a directory the
// daemon's user cannot create files in, with no new file made for it), fds
// 1 and 2 keep the old file. It runs after the privilege drop, so a file it
// creates is the daemon user's already.
func (l *logFile) reopen() error {
	if l.path == "" {
		return nil
	}
	return l.redirect(nil)
}

// redirect opens the log (owner: see logfile.Open) and points fds 1 and 2
// at it.
func (l *logFile) redirect(owner *syscall.Credential) error {
	f, err := logfile.Open(l.path, owner)
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	defer f.Close()
	for _, fd := range []int{1, 2} {
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("daemon: log file: %w", err)
		}
	}
	return nil
}
