package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Run starts the worker and keeps it alive until it ends in a way the
// policy does not restart, the supervisor is told to stop (SIGTERM or
// SIGINT received, or ctx done: the worker gets SIGTERM), or the start
// limit is hit. It returns how the last worker ended.
//
// Errors: ErrConfig; the first start's exec error (*os.PathError from
// fork/exec, e.g. not found), since a program that cannot start at all is
// not worth retrying; ErrStartLimit (wrapped, with the Exit of the last
// worker). A later exec failure counts as a failed start and is retried.
//
// Run installs handlers for SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2
// while it runs and forwards them to the worker through a pidfd, so a
// signal never reaches a recycled pid.
func Run(ctx context.Context, cfg Config) (Exit, error) {
	if cfg.Path == "" || len(cfg.Files) < 3 {
		return Exit{}, fmt.Errorf("%w: need a path and at least three files", ErrConfig)
	}
	policy, err := ParsePolicy(string(cfg.Restart))
	if err != nil {
		return Exit{}, err
	}
	if cfg.Backoff < 0 || cfg.MaxBackoff < 0 {
		return Exit{}, fmt.Errorf("%w: negative backoff", ErrConfig)
	}
	limit := startLimit{burst: cfg.StartLimitBurst, interval: cfg.StartLimitInterval}
	if limit.burst == 0 {
		limit.burst = DefaultStartLimitBurst
	}
	if limit.interval <= 0 {
		limit.interval = DefaultStartLimitInterval
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	// PR_SET_PDEATHSIG fires when the thread that forked the worker ends,
	// not the process: keep every fork on this one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2)
	defer signal.Stop(sigs)

	var (
		last     Exit
		backoff  time.Duration
		stopping bool
		done     = ctx.Done()
	)
	for n := 1; ; n++ {
		if !limit.allow(time.Now()) {
			logf("start limit hit: %d starts within %s; giving up", limit.burst, limit.interval)
			return last, fmt.Errorf("%w: %d starts within %s", ErrStartLimit, limit.burst, limit.interval)
		}
		var extraFiles []*os.File
		var extraEnv []string
		if cfg.Prepare != nil {
			extraFiles, extraEnv = cfg.Prepare(n)
		}
		w, err := start(&cfg, extraFiles, extraEnv)
		if err != nil {
			if n == 1 {
				return last, fmt.Errorf("supervise: %w", err)
			}
			logf("start %s: %v", cfg.Path, err)
			last = Exit{Code: 127}
		} else {
			if cfg.Started != nil {
				cfg.Started(w.pid, n)
			}
			startedAt := time.Now()
			last, stopping = w.supervise(sigs, &done, stopping, logf)
			logf("worker pid %d %s (max RSS %s)", last.PID, last, last.RSS())
			if stopping {
				return last, nil
			}
			if !policy.shouldRestart(last) {
				return last, nil
			}
			if time.Since(startedAt) >= limit.interval {
				backoff = 0
			}
		}
		backoff = nextBackoff(backoff, cfg.Backoff, cfg.MaxBackoff)
		if backoff > 0 {
			logf("restarting in %s", backoff)
			if !pause(backoff, sigs, done) {
				last.Stopped = true
				return last, nil
			}
		}
	}
}

// worker is a running worker pinned by its pidfd.
type worker struct {
	pid   int
	pidfd int
	floor int64 // our VmHWM at fork
}

func start(cfg *Config, extraFiles []*os.File, extraEnv []string) (*worker, error) {
	args := cfg.Args
	if len(args) == 0 {
		args = []string{cfg.Path}
	}
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	if len(extraEnv) > 0 {
		env = append(env[:len(env):len(env)], extraEnv...)
	}
	fds := make([]uintptr, 0, len(cfg.Files)+len(extraFiles))
	for _, f := range append(cfg.Files[:len(cfg.Files):len(cfg.Files)], extraFiles...) {
		fds = append(fds, f.Fd())
	}
	pidfd := -1
	floor := peakRSS()
	pid, err := syscall.ForkExec(cfg.Path, args, &syscall.ProcAttr{
		Dir: cfg.Dir, Env: env, Files: fds,
		Sys: &syscall.SysProcAttr{
			Setpgid:    true, // a terminal's ^C reaches the angel once, which forwards it once
			Pdeathsig:  syscall.SIGKILL,
			Credential: cfg.Credential,
			PidFD:      &pidfd,
		},
	})
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: cfg.Path, Err: err}
	}
	return &worker{pid: pid, pidfd: pidfd, floor: floor}, nil
}

// supervise forwards signals until the worker ends and returns its Exit
// and whether a stop was requested.
func (w *worker) supervise(sigs <-chan os.Signal, done *<-chan struct{}, stopping bool, logf func(string, ...any)) (Exit, bool) {
	defer unix.Close(w.pidfd)
	exited := make(chan Exit, 1)
	go func() { exited <- wait(w.pid) }()
	for {
		select {
		case s := <-sigs:
			sig := s.(syscall.Signal)
			if sig == unix.SIGTERM || sig == unix.SIGINT {
				stopping = true
			}
			w.signal(sig, logf)
		case <-*done:
			*done = nil
			stopping = true
			w.signal(unix.SIGTERM, logf)
		case e := <-exited:
			e.Stopped = stopping
			e.MaxRSSFloor = w.floor
			return e, stopping
		}
	}
}

func (w *worker) signal(sig syscall.Signal, logf func(string, ...any)) {
	if err := unix.PidfdSendSignal(w.pidfd, sig, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		logf("forward %s to pid %d: %v", sigName(sig), w.pid, err)
	}
}

// wait reaps pid with wait4 and collects its status and peak RSS.
func wait(pid int) Exit {
	var ws unix.WaitStatus
	var ru unix.Rusage
	for {
		_, err := unix.Wait4(pid, &ws, 0, &ru)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	e := Exit{PID: pid, Code: ws.ExitStatus(), MaxRSS: ru.Maxrss * 1024}
	if ws.Signaled() {
		e.Signal = ws.Signal()
	}
	return e
}

// pause waits d between restarts; it returns false when told to stop.
// Other signals have no worker to go to and are dropped.
func pause(d time.Duration, sigs <-chan os.Signal, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-done:
			return false
		case s := <-sigs:
			if s == unix.SIGTERM || s == unix.SIGINT {
				return false
			}
		}
	}
}

func sigName(s syscall.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// peakRSS reads this process's VmHWM in bytes, 0 when unavailable.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(b), "VmHWM:")
	if !ok {
		return 0
	}
	kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.Fields(rest)[0], "kB"), 10, 64)
	return kb * 1024
}
