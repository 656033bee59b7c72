package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
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
//
// Run is meant for a process that does nothing but supervise (an angel):
// it makes the process a child subreaper (PR_SET_CHILD_SUBREAPER, left
// set) and takes charge of all its child processes. Orphans of a worker
// become our children and are reaped when they exit. When a worker dies,
// what it left behind is ended before the next start or before Run
// returns: its process group and every other child of ours get SIGTERM,
// and whatever is still there after LeftoverTimeout gets SIGKILL. A
// process that left the worker's group and whose parent is still alive
// (a leftover's own child) is not reached until it becomes our orphan.
//
// A stop request starts StopTimeout: the worker gets the stop signal, and
// when it or anything it left behind is still there once StopTimeout is
// over, the worker, its process group and our other children get SIGKILL.
// Run returns only when they are gone (or after one more LeftoverTimeout
// when SIGKILL does not end them, with a log line).
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
	grace := cfg.LeftoverTimeout
	if grace <= 0 {
		grace = DefaultLeftoverTimeout
	}
	stopTimeout := cfg.StopTimeout
	if stopTimeout <= 0 {
		stopTimeout = DefaultStopTimeout
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		logf("cannot become a child subreaper (orphans of workers go to init): %v", err)
	}
	// PR_SET_PDEATHSIG fires when the thread that forked the worker ends,
	// not the process: keep every fork on this one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2)
	defer signal.Stop(sigs)
	// Orphans that die while a worker runs are reaped on SIGCHLD.
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, unix.SIGCHLD)
	defer signal.Stop(chld)

	k := &keeper{sigs: sigs, chld: chld, done: ctx.Done(), grace: grace, stopTimeout: stopTimeout, logf: logf,
		foreign: map[int]bool{}, foreignGroups: map[int]bool{unix.Getpgrp(): true}}
	// Children we had before Run, and orphans of theirs (in their process
	// groups, or in ours), are not a worker's leftovers: never signalled,
	// only reaped when they exit. (A program that replaced a shell with
	// exec inherits the shell's children.) Workers have groups of their own.
	for _, pid := range children() {
		k.foreign[pid] = true
		if pgid, err := unix.Getpgid(pid); err == nil {
			k.foreignGroups[pgid] = true
		}
	}
	var (
		last     Exit
		backoff  time.Duration
		stopping bool
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
			last, stopping = k.supervise(w, stopping)
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
			if !k.pause(backoff) {
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

// keeper is what Run shares with its helpers: the signal channels, the
// stop request and its deadline, the leftover grace period, the log, and
// the children that were ours before Run.
type keeper struct {
	sigs, chld  <-chan os.Signal
	done        <-chan struct{} // nil once seen
	grace       time.Duration
	stopTimeout time.Duration
	stopAt      time.Time // when SIGKILL ends a stop; zero until one is requested
	logf        func(string, ...any)
	foreign     map[int]bool // children we had before Run
	// foreignGroups are our own process group and the foreign children's.
	foreignGroups map[int]bool
}

// isStop reports whether s asks the supervisor to stop.
func isStop(s os.Signal) bool {
	return s == unix.SIGTERM || s == unix.SIGINT
}

// requestStop records a stop request: the first one sets the deadline
// after which what is left of the worker gets SIGKILL.
func (k *keeper) requestStop() {
	if k.stopAt.IsZero() {
		k.stopAt = time.Now().Add(k.stopTimeout)
	}
}

// supervise forwards signals until the worker ends, ends its leftovers,
// and returns its Exit and whether a stop was requested. Once a stop is
// requested and its deadline passes, the worker and its process group get
// SIGKILL.
func (k *keeper) supervise(w *worker, stopping bool) (Exit, bool) {
	defer unix.Close(w.pidfd)
	exited := make(chan struct{})
	go func() {
		// Learn of the death without reaping: while the worker is an
		// unreaped zombie its pid, and so its process group's id, stays
		// ours. (Only this goroutine and collect, after it, wait for it.)
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, w.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		close(exited)
	}()
	var (
		kill  *time.Timer
		killC <-chan time.Time
	)
	defer func() {
		if kill != nil {
			kill.Stop()
		}
	}()
	armKill := func() {
		if kill == nil && !k.stopAt.IsZero() {
			kill = time.NewTimer(time.Until(k.stopAt))
			killC = kill.C
		}
	}
	armKill()
	for {
		select {
		case <-k.chld:
			k.reapOthers(w.pid)
		case s := <-k.sigs:
			if isStop(s) {
				stopping = true
				k.requestStop()
				armKill()
			}
			w.signal(s.(syscall.Signal), k.logf)
		case <-k.done:
			k.done = nil
			stopping = true
			k.requestStop()
			armKill()
			w.signal(unix.SIGTERM, k.logf)
		case <-killC:
			killC = nil
			k.logf("worker pid %d still running %s after the stop request: sent SIGKILL to its process group", w.pid, k.stopTimeout)
			w.signal(unix.SIGKILL, k.logf)
			_ = unix.Kill(-w.pid, unix.SIGKILL) // the group of our unreaped child: never recycled
		case <-exited:
			e, stop := k.collect(w)
			stopping = stopping || stop
			e.Stopped = stopping
			e.MaxRSSFloor = w.floor
			return e, stopping
		}
	}
}

// collect ends what the dead worker left behind, then reaps the worker.
// The leftovers are the other members of its process group and our
// children (orphans reparented to us): SIGTERM, SIGKILL after the grace
// period, and after another grace period they are given up on with a log
// line. Once a stop is requested, SIGKILL comes no later than the stop
// deadline (at once when it has passed). The worker stays an unreaped
// zombie until then, so -pid names its group all along; our children are
// reaped only here, after the signals, so no signal reaches a recycled
// pid. It reports whether a stop was requested meanwhile.
func (k *keeper) collect(w *worker) (Exit, bool) {
	killed := !k.stopAt.IsZero() && !time.Now().Before(k.stopAt)
	first := unix.SIGTERM
	if killed {
		first = unix.SIGKILL
	}
	_ = unix.Kill(-w.pid, first)
	left := k.leftovers(w.pid, children())
	if len(left) == 0 {
		return wait(w.pid), false
	}
	k.logf("worker pid %d left %d process(es) behind: sent %s", w.pid, len(left), sigName(first))
	stop := false
	// Each leftover gets the current signal once, orphans adopted later
	// included (SIGTERM before the grace period is over, SIGKILL after).
	signalled := map[int]bool{}
	signalNew := func(pids []int, sig syscall.Signal) {
		for _, pid := range pids {
			if !signalled[pid] {
				signalled[pid] = true
				_ = unix.Kill(pid, sig) // our unreaped child: never a recycled pid
			}
		}
	}
	// killAt is when SIGKILL follows: the grace period, cut short by a
	// stop deadline (see byStop).
	killAt := time.Now().Add(k.grace)
	byStop := func() bool { return !killed && !k.stopAt.IsZero() && k.stopAt.Before(killAt) }
	if byStop() {
		killAt = k.stopAt
	}
	t := time.NewTimer(time.Until(killAt))
	defer t.Stop()
	for {
		left = k.leftovers(w.pid, k.reapOthers(w.pid))
		if len(left) == 0 {
			// The children file is only a snapshot while processes come
			// and go: confirm with a scan of /proc before going on.
			if left = k.leftovers(w.pid, childrenByScan()); len(left) == 0 {
				break
			}
		}
		sig := unix.SIGTERM
		if killed {
			sig = unix.SIGKILL
		}
		signalNew(left, sig)
		select {
		case <-k.chld:
		case s := <-k.sigs:
			if isStop(s) {
				stop = true
				k.requestStop()
			}
		case <-k.done:
			k.done, stop = nil, true
			k.requestStop()
		case <-t.C:
			// SIGCHLD may have been ready too (select picks either), or
			// not yet sent: look again before escalating or giving up.
			if left = k.leftovers(w.pid, k.reapOthers(w.pid)); len(left) == 0 {
				t.Reset(k.grace)
				continue
			}
			if killed {
				k.logf("%d leftover process(es) did not end after SIGKILL; leaving them", len(left))
				return wait(w.pid), stop
			}
			_ = unix.Kill(-w.pid, unix.SIGKILL)
			killed = true
			clear(signalled)
			if k.stopAt.Equal(killAt) {
				k.logf("%d leftover process(es) still running at the stop deadline: sent SIGKILL", len(left))
			} else {
				k.logf("%d leftover process(es) still running after %s: sent SIGKILL", len(left), k.grace)
			}
			t.Reset(k.grace)
		}
		if byStop() { // a stop requested just now
			killAt = k.stopAt
			t.Reset(time.Until(killAt))
		}
	}
	return wait(w.pid), stop
}

// leftovers returns the pids, our children, other than the worker and the
// foreign ones.
func (k *keeper) leftovers(worker int, pids []int) []int {
	return slices.DeleteFunc(pids, func(pid int) bool {
		if pid == worker || k.foreign[pid] {
			return true
		}
		pgid, err := unix.Getpgid(pid)
		return err == nil && k.foreignGroups[pgid]
	})
}

// reapOthers reaps every exited child of ours except the worker, whose
// death supervise and collect handle, and returns the children left.
func (k *keeper) reapOthers(worker int) []int {
	return slices.DeleteFunc(children(), func(pid int) bool {
		if pid == worker {
			return false
		}
		var ws unix.WaitStatus
		if got, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); got == pid {
			delete(k.foreign, pid)
			return true
		}
		return false
	})
}

// children lists the child processes of this process (of all its
// threads), zombies included. It reads /proc/self/task/*/children and,
// on kernels without that file, scans /proc for our pid as parent.
func children() []int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if errors.Is(err, os.ErrNotExist) {
			return childrenByScan()
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func childrenByScan() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
				if ppid, _ := strconv.Atoi(f[1]); ppid == self {
					pids = append(pids, pid)
				}
			}
		}
	}
	return pids
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
func (k *keeper) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-k.done:
			return false
		case <-k.chld:
			k.reapOthers(0)
		case s := <-k.sigs:
			if isStop(s) {
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
