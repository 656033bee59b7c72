package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reaper makes the harness a child subreaper and reaps every child, so
// daemons that detach are reparented to the harness (not to PID 1, which
// here reaps nothing) and no zombie outlives an iteration.
type reaper struct {
	stdio [2]*os.File // /dev/null and the log; kept so no finalizer closes them
	files [3]uintptr  // stdin, stdout, stderr of every child
	env   []string

	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
	done    map[int]syscall.WaitStatus
}

func newReaper(logPath string) (*reaper, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("reaper: PR_SET_CHILD_SUBREAPER: %w", err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "NOTIFY_SOCKET" || strings.HasPrefix(k, "LISTEN_") || k == "WATCHDOG_USEC" || k == "JOURNAL_STREAM" {
			continue
		}
		env = append(env, kv)
	}
	r := &reaper{
		stdio:   [2]*os.File{devnull, logf},
		files:   [3]uintptr{devnull.Fd(), logf.Fd(), logf.Fd()},
		env:     env,
		waiters: map[int]chan syscall.WaitStatus{},
		done:    map[int]syscall.WaitStatus{},
	}
	sig := make(chan os.Signal, 64)
	signal.Notify(sig, syscall.SIGCHLD)
	go func() {
		tick := time.NewTicker(time.Second) // in case a SIGCHLD was coalesced away
		for {
			select {
			case <-sig:
			case <-tick.C:
			}
			r.reapAll()
		}
	}()
	return r, nil
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		if ch, ok := r.waiters[pid]; ok {
			ch <- ws
			delete(r.waiters, pid)
		} else {
			r.done[pid] = ws
		}
		r.mu.Unlock()
	}
}

// spawn starts argv (argv[0] an absolute path) with extra environment.
func (r *reaper) spawn(argv []string, extraEnv ...string) (int, error) {
	return r.spawnWith(argv, nil, extraEnv...)
}

// spawnWith is spawn with process attributes (nil: none).
func (r *reaper) spawnWith(argv []string, sys *syscall.SysProcAttr, extraEnv ...string) (int, error) {
	attr := &syscall.ProcAttr{Dir: "/", Env: append(r.env[:len(r.env):len(r.env)], extraEnv...), Files: r.files[:], Sys: sys}
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := syscall.ForkExec(argv[0], argv, attr)
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	delete(r.done, pid) // a stale status of an earlier process with this pid
	return pid, nil
}

// wait waits for a child to be reaped.
func (r *reaper) wait(pid int, timeout time.Duration) (syscall.WaitStatus, error) {
	r.mu.Lock()
	if ws, ok := r.done[pid]; ok {
		delete(r.done, pid)
		r.mu.Unlock()
		return ws, nil
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiters[pid] = ch
	r.mu.Unlock()
	select {
	case ws := <-ch:
		return ws, nil
	case <-time.After(timeout):
		r.mu.Lock()
		delete(r.waiters, pid)
		r.mu.Unlock()
		return 0, fmt.Errorf("pid %d still running after %v", pid, timeout)
	}
}

// run starts argv and waits for it to exit 0.
func (r *reaper) run(timeout time.Duration, argv ...string) (int, error) {
	pid, err := r.spawn(argv)
	if err != nil {
		return 0, err
	}
	ws, err := r.wait(pid, timeout)
	if err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		return pid, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return pid, fmt.Errorf("%s: %s", strings.Join(argv, " "), describe(ws))
	}
	return pid, nil
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

// killAll kills every descendant (all of them are, or become, our
// children) and reaps them.
func (r *reaper) killAll() error {
	self := os.Getpid()
	for range 100 {
		kids := childrenOf(self)
		if len(kids) == 0 {
			return nil
		}
		for _, k := range kids {
			_ = unix.Kill(k, unix.SIGKILL)
		}
		for _, k := range kids {
			if _, err := r.wait(k, 5*time.Second); err != nil {
				return fmt.Errorf("cleanup: %w", err)
			}
		}
	}
	return fmt.Errorf("cleanup: descendants keep appearing")
}

// childrenOf lists the pids whose parent is ppid.
func childrenOf(ppid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil && st.ppid == ppid {
			out = append(out, pid)
		}
	}
	return out
}

// procStat is the part of /proc/PID/stat the harness uses.
type procStat struct {
	state        byte
	ppid         int
	utime, stime int64 // clock ticks
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	var st procStat
	st.state = f[0][0]
	st.ppid, _ = strconv.Atoi(f[1])
	st.utime, _ = strconv.ParseInt(f[11], 10, 64)
	st.stime, _ = strconv.ParseInt(f[12], 10, 64)
	return st, nil
}

// statusField returns a numeric field of /proc/PID/status ("VmRSS", …) in
// its unit (kB for sizes).
func statusField(pid int, name string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, name)
}

// ctxSwitches sums voluntary and involuntary context switches over pid's
// threads.
func ctxSwitches(pid int) (vol, invol int64, threads int, err error) {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return 0, 0, 0, err
	}
	for _, t := range tasks {
		tid, _ := strconv.Atoi(t.Name())
		p := strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid)
		b, err := os.ReadFile("/proc/" + p + "/status")
		if err != nil {
			continue
		}
		threads++
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				vol += n
			case "nonvoluntary_ctxt_switches":
				invol += n
			}
		}
	}
	return vol, invol, threads, nil
}

// setNofile sets the open-files limit like `ulimit -n n` (soft and hard).
func setNofile(n uint64) error {
	lim := &syscall.Rlimit{Cur: n, Max: n}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, lim); err != nil {
		return fmt.Errorf("setrlimit NOFILE %d: %w", n, err)
	}
	return nil
}
