package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/angel"
	"github.com/daemonctl/daemonctl/daemon/control"
	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/logfile"
	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/daemon/privdrop"
	"github.com/daemonctl/daemonctl/daemon/readiness"
	"github.com/daemonctl/daemonctl/daemon/supervise"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// Stage runs a re-executed stage of `daemonctl run` (the detach
// intermediate or the keepalive angel) and returns its exit code and true,
// or 0, false for a normal invocation. main calls it before building the
// command line, so the stages pay for no CLI setup.
func Stage(getenv func(string) string) (int, bool) {
	if code, ok := detach.Stage(getenv); ok {
		return code, true
	}
	return angel.Stage(getenv)
}

type runOptions struct {
	daemon     bool
	keepalive  bool
	pidfile    string
	user       string
	group      string
	chdir      string
	umask      string
	stdout     string
	stderr     string
	restart    string
	backoff    time.Duration
	maxBackoff time.Duration
	burst      int
	interval   time.Duration
	args       []string
}

func newRunCmd(stdio Stdio) *cobra.Command {
	return runCommand(stdio, runRun)
}

// runCommand builds the run command; do runs it with the parsed options.
func runCommand(stdio Stdio, do func(Stdio, runOptions) error) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run [--daemon] [--pidfile P] [--keepalive] [--user U] [--chdir D] [--umask M] [--stdout F] [--stderr F] -- PROG ARGS…",
		Short: "Run any program as a classic daemon",
		Long: `run starts PROG as a well-behaved daemon.

With --daemon it is detached: a session of its own without being the session
leader, no controlling terminal, its own process group, parent init (or the
subreaper), working directory / and umask 022 unless told otherwise,
stdin/stdout/stderr on /dev/null or the given files, no inherited descriptors.
run returns 0 only once PROG has executed and the pidfile is written, and
fails with the reason when it cannot start; when the pid cannot be written
(a full file system) it kills the PROG it started and removes the pidfile.

The pidfile is locked (an OFD lock) for the daemon's lifetime. Without
--keepalive it holds PROG's pid and PROG inherits the locked descriptor as fd 3
(a program that closes fd 3 gives up the lock); so do PROG's children unless it
closes fd 3 for them, and they keep the pidfile locked if they outlive PROG:
status then reports the daemon dead (1), run refuses, and stop ends them through
PROG's process group. Use --keepalive for a program that leaves children
behind: the angel's lock is never inherited. With --keepalive a supervisor
("angel") restarts PROG by --restart policy with exponential backoff and a start
limit, forwards TERM/INT/HUP/USR1/USR2, and holds the pidfile with its own pid:
stop and reload must reach the angel, which knows that TERM means "do not
restart".

--stdout and --stderr are appended to. A file run creates (0640) is given to
--user; an existing one is taken as it is. run refuses a log path that is a
symbolic link, a FIFO, a socket, a directory, a device not owned by root
(/dev/null is fine), a file with more than one hard link or a file owned by
another user than root and --user: the log's directory may belong to --user,
the directories above it must be root's.

Without --daemon, run replaces itself with PROG (or with the angel when
--keepalive is given) in the foreground.`,
		Example: `  daemonctl run --daemon --pidfile /run/app.pid -- /usr/bin/app --flag
  daemonctl run --daemon --keepalive --backoff 0 --pidfile /run/app.pid --stderr /var/log/app.log -- app`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.complete(cmd.Flags(), args); err != nil {
				return err
			}
			return do(stdio, opts)
		},
	}
	opts.define(cmd.Flags())
	return cmd
}

// define adds run's flags to f, bound to o. The cobra command and the fast
// path (runFast) share it, so both parse alike.
func (o *runOptions) define(f *pflag.FlagSet) {
	f.BoolVar(&o.daemon, "daemon", false, "detach and run in the background")
	f.BoolVar(&o.keepalive, "keepalive", false, "supervise PROG and restart it by --restart policy")
	f.StringVar(&o.pidfile, "pidfile", "", "locked pidfile (PROG's pid, or the angel's with --keepalive)")
	f.StringVar(&o.user, "user", "", "run PROG as this user (with its supplementary groups)")
	f.StringVar(&o.group, "group", "", "run PROG with this group (default: the user's)")
	f.StringVar(&o.chdir, "chdir", "/", "working directory (default / with --daemon)")
	f.StringVar(&o.umask, "umask", "022", "umask, octal (default 022 with --daemon)")
	f.StringVar(&o.stdout, "stdout", "", "append PROG's standard output to this file (default /dev/null with --daemon)")
	f.StringVar(&o.stderr, "stderr", "", "append PROG's standard error to this file (default /dev/null with --daemon)")
	f.StringVar(&o.restart, "restart", "on-failure", "keepalive policy: on-failure, always or no")
	f.DurationVar(&o.backoff, "backoff", 100*time.Millisecond, "keepalive: first restart delay, doubled after each failure (0: at once)")
	f.DurationVar(&o.maxBackoff, "max-backoff", 30*time.Second, "keepalive: largest restart delay")
	f.IntVar(&o.burst, "start-limit-burst", supervise.DefaultStartLimitBurst, "keepalive: give up after this many starts within --start-limit-interval (negative: never)")
	f.DurationVar(&o.interval, "start-limit-interval", supervise.DefaultStartLimitInterval, "keepalive: window of the start limit")
}

// complete takes the program's argument vector and drops the --daemon
// defaults of --chdir and --umask when run stays in the foreground.
func (o *runOptions) complete(f *pflag.FlagSet, args []string) error {
	if len(args) == 0 {
		return &UsageError{Err: errors.New("run: missing program (run [flags] -- PROG ARGS…)")}
	}
	o.args = args
	if !f.Changed("chdir") && !o.daemon {
		o.chdir = ""
	}
	if !f.Changed("umask") && !o.daemon {
		o.umask = ""
	}
	return nil
}

// parseRunFast parses `run …` without building the command tree: starting
// a daemon is the one command whose latency users measure, and building
// cobra's tree costs a few tenths of a millisecond. It reports false for
// anything else (another command, --help, a bad flag, a missing program),
// which the full command line then handles and reports.
func parseRunFast(args []string) (runOptions, bool) {
	var opts runOptions
	if len(args) == 0 || args[0] != "run" {
		return opts, false
	}
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.Usage = func() {}
	opts.define(f)
	if err := f.Parse(args[1:]); err != nil {
		return opts, false
	}
	if err := opts.complete(f, f.Args()); err != nil {
		return opts, false
	}
	return opts, true
}

func runRun(stdio Stdio, opts runOptions) error {
	restart, err := supervise.ParsePolicy(opts.restart)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("run: --restart: %w", err)}
	}
	if opts.backoff < 0 || opts.maxBackoff < 0 || opts.interval < 0 {
		return &UsageError{Err: errors.New("run: durations must not be negative")}
	}
	umask := -1
	if opts.umask != "" {
		m, err := strconv.ParseUint(opts.umask, 8, 32)
		if err != nil || m > 0o777 {
			return &UsageError{Err: fmt.Errorf("run: --umask: %q is not an octal mode", opts.umask)}
		}
		umask = int(m)
	}
	path, err := exec.LookPath(opts.args[0])
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if path, err = filepath.Abs(path); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	var cred *syscall.Credential
	if opts.user != "" || opts.group != "" {
		name := opts.user
		if name == "" {
			name = strconv.Itoa(os.Getuid())
		}
		if cred, err = privdrop.Lookup(name, opts.group); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	if opts.chdir != "" {
		// Checked here: a failed chdir in the child would be reported as
		// the program's fork/exec error.
		if st, err := os.Stat(opts.chdir); err != nil {
			return fmt.Errorf("run: --chdir: %w", err)
		} else if !st.IsDir() {
			return fmt.Errorf("run: --chdir: %s is not a directory", opts.chdir)
		}
	}
	out, errf, err := openLogs(opts.stdout, opts.stderr, cred)
	if err != nil {
		return err
	}
	defer closeAll(out, errf)
	if opts.pidfile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.pidfile), 0o755); err != nil {
			return fmt.Errorf("run: pidfile directory: %w", err)
		}
	}
	if umask >= 0 {
		unix.Umask(umask)
	}
	switch {
	case opts.keepalive:
		return runAngel(opts, restart, path, cred, out, errf)
	case opts.daemon:
		return runDetached(stdio, opts, path, cred, out, errf)
	default:
		return runForeground(opts, path, cred, out, errf)
	}
}

// runDetached is `run --daemon` without keepalive: take the lock, start
// PROG detached with the locked descriptor as its fd 3, write its pid.
func runDetached(_ Stdio, opts runOptions, path string, cred *syscall.Credential, out, errf *os.File) error {
	files := []*os.File{nil, out, errf}
	var pf *pidfile.File
	if opts.pidfile != "" {
		var err error
		if pf, err = pidfile.Acquire(opts.pidfile); err != nil {
			return acquireError(opts.pidfile, err)
		}
		files = append(files, pf.File())
	}
	pid, err := detach.Start(&detach.Command{Path: path, Args: opts.args, Dir: opts.chdir, Files: files, Credential: cred})
	if err != nil {
		if pf != nil {
			pf.Remove()
		}
		return fmt.Errorf("run: %w", err)
	}
	if pf != nil {
		if err := pf.Write(pid); err != nil {
			// PROG runs but nobody could find it: end it rather than
			// leave a daemon that stop cannot reach.
			if aerr := control.Abort(context.Background(), pf, pid); aerr != nil {
				return fmt.Errorf("run: %w; and pid %d could not be stopped: %w", err, pid, aerr)
			}
			return fmt.Errorf("run: %w; stopped pid %d", err, pid)
		}
		return pf.Close() // PROG keeps the lock through its fd 3
	}
	return nil
}

// acquireError explains a pidfile that cannot be taken. When its pid is
// gone but processes it left behind still hold the lock (they inherited
// fd 3), something of the old instance is alive: run refuses, and says
// how to end it.
func acquireError(path string, err error) error {
	var re *pidfile.RunningError
	if errors.As(err, &re) && re.Exited {
		return fmt.Errorf("run: %w; stop them first (daemonctl stop --pidfile %s)", err, path)
	}
	return fmt.Errorf("run: %w", err)
}

// runAngel starts the keepalive angel, detached with --daemon, or by
// replacing this process in the foreground.
func runAngel(opts runOptions, restart supervise.Policy, path string, cred *syscall.Credential, out, errf *os.File) error {
	aopts := angel.Options{
		Pidfile: opts.pidfile, Restart: restart, Backoff: opts.backoff, MaxBackoff: opts.maxBackoff,
		StartLimitBurst: opts.burst, StartLimitInterval: opts.interval, Credential: cred,
	}
	if opts.pidfile != "" {
		abs, err := filepath.Abs(opts.pidfile)
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		aopts.Pidfile = abs
	}
	self, err := angelExecutable()
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	// ps shows "daemonctl keepalive PROG", so that the angel is told from
	// its worker and `pkill -f` of the worker's arguments spares it.
	title := []string{filepath.Base(self), "keepalive", path}
	if !opts.daemon {
		cmd := angel.Command(self, aopts, path, opts.args, nil, []*os.File{os.Stdin, out, errf}, nil)
		angel.Retitle(cmd, title)
		return execInPlace(cmd.Path, cmd.Args, cmd.Env, opts.chdir, cmd.Files)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	cmd := angel.Command(self, aopts, path, opts.args, nil, []*os.File{nil, out, errf}, w)
	angel.Retitle(cmd, title)
	cmd.Dir = opts.chdir
	_, err = detach.Start(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("run: %w", err)
	}
	if err := readiness.Wait(r); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	return nil
}

// angelExecutable picks the program that runs the angel stage: a
// daemonctl-angel installed next to daemonctl when there is one (a binary
// with nothing but the angel in it stays far smaller in memory than the
// whole CLI with its package initialisation), else daemonctl itself. The
// real path rather than /proc/self/exe, so that ps shows a name.
func angelExecutable() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	small := filepath.Join(filepath.Dir(self), "daemonctl-angel")
	if st, err := os.Stat(small); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return small, nil
	}
	return self, nil
}

// runForeground replaces daemonctl with PROG, keeping the pid (and so the
// pidfile's content) and handing the locked descriptor over as fd 3.
func runForeground(opts runOptions, path string, cred *syscall.Credential, out, errf *os.File) error {
	files := []*os.File{os.Stdin, out, errf}
	if opts.pidfile != "" {
		pf, err := pidfile.Acquire(opts.pidfile)
		if err != nil {
			return acquireError(opts.pidfile, err)
		}
		if err := pf.Write(os.Getpid()); err != nil {
			pf.Remove()
			return fmt.Errorf("run: %w", err)
		}
		files = append(files, pf.File())
	}
	if cred != nil {
		if err := privdrop.Drop(cred); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	return execInPlace(path, opts.args, os.Environ(), opts.chdir, files)
}

// openLogs opens the --stdout/--stderr files for appending through
// logfile.Open: a file it creates is given to the daemon's user so that the
// program can reopen it; an existing one is appended to as it is; what the
// user may have planted in a directory it owns (a link, a FIFO, another
// user's file) is refused. An empty name gives nil (the default). The same
// name for both shares one descriptor.
func openLogs(stdout, stderr string, cred *syscall.Credential) (out, errf *os.File, err error) {
	open := func(flag, name string) (*os.File, error) {
		if name == "" {
			return nil, nil
		}
		f, err := logfile.Open(name, cred)
		if err != nil {
			return nil, fmt.Errorf("run: %s: %w", flag, err)
		}
		return f, nil
	}
	if out, err = open("--stdout", stdout); err != nil {
		return nil, nil, err
	}
	if stderr == stdout {
		return out, out, nil
	}
	if errf, err = open("--stderr", stderr); err != nil {
		closeAll(out)
		return nil, nil, err
	}
	return out, errf, nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
