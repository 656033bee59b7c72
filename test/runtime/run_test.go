//go:build linux

package runtimetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns a new pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("no /dev/ptmx:", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// launchScript records the pid and process group of the shell, then
// becomes daemonctl (same pid, same group): sh -c launchScript DCTL PIDFILE REC.
const launchScript = `read -r _ _ _ _ g _ < /proc/$$/stat; echo "$$ $g" > "$2"; exec "$0" run --daemon --pidfile "$1" -- sleep 1000`

// The launcher runs in a session with a real controlling terminal; the
// daemon must end up in a session of its own without a terminal, not
// leading it, with only its own descriptors, reparented to us. Each case
// also checks which way daemonctl detached: by calling setsid itself (the
// daemon's session id is daemonctl's pid) or through the re-executed stage.
func TestRunDaemonSessionUnderPTY(t *testing.T) {
	cases := []struct {
		name   string
		script string // run by a session-leading sh with $L = launchScript
		leader bool   // daemonctl leads its process group
		stage  bool   // daemonctl must take the re-exec stage
	}{
		// A plain child of the session leader, in its group: setsid in place.
		{"not a group leader", `sh -c "$L" "$0" "$1" "$2"; exit $?`, false, false},
		// A job of a shell with job control: daemonctl leads its group in
		// the terminal's foreground and moves to the shell's group first.
		{"group leader", `set -m; sh -c "$L" "$0" "$1" "$2"; exit $?`, true, false},
		// daemonctl leads the terminal's session: the re-exec stage.
		{"session leader", `eval "$L"`, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, tty := openPTY(t)
			p := filepath.Join(t.TempDir(), "d.pid")
			rec := filepath.Join(t.TempDir(), "launcher")
			stopAtCleanup(t, p)
			cmd := exec.Command("sh", "-c", c.script, dctl, p, rec)
			cmd.Env = append(os.Environ(), "L="+launchScript)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			if err := cmd.Run(); err != nil {
				t.Fatalf("launcher: %v", err)
			}
			pid := readPID(t, p)
			st, err := procStat(pid)
			if err != nil {
				t.Fatal(err)
			}
			var dcPID, dcGroup int
			if _, err := fmt.Sscan(readFile(t, rec), &dcPID, &dcGroup); err != nil {
				t.Fatalf("launcher record: %v", err)
			}
			if (dcGroup == dcPID) != c.leader {
				t.Fatalf("daemonctl %d in group %d: the case's premise (group leader %v) does not hold", dcPID, dcGroup, c.leader)
			}
			if detachedInPlace := st.sid == dcPID; detachedInPlace == c.stage {
				t.Errorf("daemon's session %d, daemonctl %d: want the re-exec stage %v", st.sid, dcPID, c.stage)
			}
			launcher, _ := procStat(os.Getpid())
			if st.ttyNr != 0 {
				t.Errorf("daemon has controlling tty %#x", st.ttyNr)
			}
			if st.sid == pid {
				t.Errorf("daemon %d leads its session", pid)
			}
			if st.sid == launcher.sid {
				t.Errorf("daemon still in the test's session %d", st.sid)
			}
			if st.pgrp != pid {
				t.Errorf("daemon pgrp %d, want its own %d", st.pgrp, pid)
			}
			if st.ppid != os.Getpid() {
				t.Errorf("daemon ppid %d, want the subreaper %d", st.ppid, os.Getpid())
			}
			if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); cwd != "/" {
				t.Errorf("cwd %q", cwd)
			}
			status := readFile(t, "/proc/"+strconv.Itoa(pid)+"/status")
			if !strings.Contains(status, "Umask:\t0022") {
				t.Errorf("umask not 022:\n%s", status)
			}
			// SIGHUP must not stay ignored (bit 0 of SigIgn).
			for _, line := range strings.Split(status, "\n") {
				if v, ok := strings.CutPrefix(line, "SigIgn:\t"); ok {
					if mask, _ := strconv.ParseUint(v, 16, 64); mask&1 != 0 {
						t.Errorf("daemon ignores SIGHUP (SigIgn %s)", v)
					}
				}
			}
			want := []string{"0=/dev/null", "1=/dev/null", "2=/dev/null", "3=" + p}
			if got := settledFDs(pid, want); !slices.Equal(got, want) {
				t.Errorf("descriptors %v, want %v", got, want)
			}
			if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
				t.Fatalf("stop: %d %s", r.code, r.output)
			}
			waitGone(t, pid)
		})
	}
}

func TestConcurrentRunsOnOnePidfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	const n = 20
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sleep", "1000")
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			ok++
		case r.code == 1 && strings.Contains(r.output, "already running (pid"):
		default:
			t.Errorf("unexpected result %d %q", r.code, r.output)
		}
	}
	if ok != 1 {
		t.Fatalf("%d launches succeeded, want exactly 1", ok)
	}
	pid := readPID(t, p)
	var sleeps []int
	for _, c := range children(os.Getpid()) {
		if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/cmdline"); string(cmdline) == "sleep\x001000\x00" {
			sleeps = append(sleeps, c)
		}
	}
	if len(sleeps) != 1 || sleeps[0] != pid {
		t.Fatalf("running sleeps %v, pidfile says %d", sleeps, pid)
	}
}

func TestStatusCodesAndStalePidfile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "d.pid")
	stopAtCleanup(t, p)
	status := func() result { return run(t, nil, dctl, "status", "--pidfile", p) }
	if r := status(); r.code != 3 {
		t.Fatalf("absent: %d %s", r.code, r.output)
	}
	// Stale: an unlocked pidfile naming a live process (this test). Only
	// the lock counts, so the pid must never be signalled.
	os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	if r := status(); r.code != 1 {
		t.Fatalf("stale: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "reload", "--pidfile", p); r.code != 1 {
		t.Fatalf("reload of a stale pidfile: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sleep", "1000"); r.code != 0 {
		t.Fatalf("takeover: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	if pid == os.Getpid() {
		t.Fatal("pidfile not rewritten")
	}
	if r := status(); r.code != 0 || !strings.Contains(r.output, strconv.Itoa(pid)) {
		t.Fatalf("running: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	if r := status(); r.code != 3 {
		t.Fatalf("after stop: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop when not running: %d %s", r.code, r.output)
	}
	// Unknown: the path is not a pidfile at all.
	os.Mkdir(p, 0o755)
	if r := status(); r.code != 4 {
		t.Fatalf("directory: %d %s", r.code, r.output)
	}
	os.Remove(p)
	os.Symlink("/etc/passwd", p)
	if r := status(); r.code != 4 {
		t.Fatalf("symlink: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sleep", "1000"); r.code != 1 {
		t.Fatalf("run over a symlink: %d %s", r.code, r.output)
	}
}

func TestRunFailsWithReason(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	r := run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "/nonexistent/prog")
	if r.code != 1 || !strings.Contains(r.output, "/nonexistent/prog") {
		t.Fatalf("missing program: %d %q", r.code, r.output)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("failed start left a pidfile")
	}
	if r := run(t, nil, dctl, "run", "--daemon", "--umask", "9", "--", "sleep", "1"); r.code != 2 {
		t.Fatalf("bad umask: %d %q", r.code, r.output)
	}
}

func TestStopEscalatesToKILL(t *testing.T) {
	dir := t.TempDir()
	p, ready := filepath.Join(dir, "d.pid"), filepath.Join(dir, "ready")
	stopAtCleanup(t, p)
	self, _ := os.Executable()
	env := []string{helperEnv + "=ignoreterm", "HELPER_READY=" + ready}
	if r := run(t, env, dctl, "run", "--daemon", "--pidfile", p, "--", self); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	waitFor(t, "TERM ignored", func() bool { _, err := os.Stat(ready); return err == nil })
	r := run(t, nil, dctl, "stop", "--pidfile", p, "--timeout", "200ms")
	if r.code != 0 || !strings.Contains(r.output, "SIGKILL") {
		t.Fatalf("stop: %d %q", r.code, r.output)
	}
	// Gone at return: at most a zombie waiting for us, its reaper.
	if alive(pid) {
		t.Fatalf("pid %d still alive after stop returned", pid)
	}
	if ws := waitGone(t, pid); ws.Signal() != unix.SIGKILL {
		t.Fatalf("status %v", ws)
	}
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 3 {
		t.Fatalf("status after stop: %d", r.code)
	}
}

// worker returns the single live child of the angel.
func worker(t *testing.T, angel int) int {
	t.Helper()
	var w []int
	waitFor(t, "one worker", func() bool { w = children(angel); return len(w) == 1 })
	return w[0]
}

func TestKeepaliveRestartsAfterKill9(t *testing.T) {
	dir := t.TempDir()
	p, log := filepath.Join(dir, "d.pid"), filepath.Join(dir, "angel.log")
	stopAtCleanup(t, p)
	if r := run(t, nil, dctl, "run", "--daemon", "--keepalive", "--backoff", "0", "--pidfile", p, "--stderr", log, "--", "sleep", "1000"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	first := worker(t, angel)
	// ps tells the angel from its worker; the worker has its own argv.
	sleep, _ := exec.LookPath("sleep")
	if got := cmdline(angel); !slices.Equal(got, []string{"daemonctl", "keepalive", sleep}) {
		t.Errorf("angel argv %q", got)
	}
	if got := cmdline(first); !slices.Equal(got, []string{"sleep", "1000"}) {
		t.Errorf("worker argv %q", got)
	}
	if st, _ := procStat(first); st.sid == first || st.sid != func() int { s, _ := procStat(angel); return s.sid }() {
		t.Errorf("worker session %d (worker %d, angel %d)", st.sid, first, angel)
	}
	if want := []string{"0=/dev/null", "1=/dev/null", "2=" + log}; !slices.Equal(settledFDs(first, want), want) {
		t.Errorf("worker descriptors %v, want %v", fdTargets(first), want)
	}
	unix.Kill(first, unix.SIGKILL)
	var second int
	waitFor(t, "a new worker", func() bool {
		w := children(angel)
		if len(w) == 1 && w[0] != first {
			second = w[0]
			return true
		}
		return false
	})
	if st, err := procStat(first); err == nil {
		t.Fatalf("killed worker %d left behind in state %c", first, st.state)
	}
	if got := readPID(t, p); got != angel {
		t.Fatalf("pidfile changed to %d after a restart", got)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	if ws := waitGone(t, angel); ws.ExitStatus() != 0 {
		t.Errorf("angel exit status %d after stop", ws.ExitStatus())
	}
	waitFor(t, "worker gone", func() bool { return !alive(second) })
	text := readFile(t, log)
	if !strings.Contains(text, "killed by signal 9 (SIGKILL) (max RSS") {
		t.Errorf("log lacks the death line:\n%s", text)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("pidfile left after stop")
	}
}

func TestKeepaliveWorkerDiesWithAngel(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "d.pid")
	stopAtCleanup(t, p)
	if r := run(t, nil, dctl, "run", "--daemon", "--keepalive", "--pidfile", p, "--", "sleep", "1000"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	w := worker(t, angel)
	unix.Kill(angel, unix.SIGKILL)
	waitGone(t, angel)
	waitFor(t, "orphaned worker to die (PDEATHSIG)", func() bool {
		reap(w)
		return !alive(w)
	})
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 1 {
		t.Fatalf("status after the angel was killed: %d (want 1: dead, pidfile exists)", r.code)
	}
}

func TestKeepaliveStartLimit(t *testing.T) {
	dir := t.TempDir()
	p, log := filepath.Join(dir, "d.pid"), filepath.Join(dir, "angel.log")
	stopAtCleanup(t, p)
	r := run(t, nil, dctl, "run", "--daemon", "--keepalive", "--backoff", "0", "--start-limit-burst", "3",
		"--pidfile", p, "--stderr", log, "--", "sh", "-c", "exit 7")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	var angel int
	if b, err := os.ReadFile(p); err == nil {
		angel, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	waitFor(t, "the angel to give up", func() bool { return strings.Contains(readFile(t, log), "giving up") })
	if angel > 0 {
		if ws := waitGone(t, angel); ws.ExitStatus() == 0 {
			t.Error("angel exited 0 after hitting the start limit")
		}
	}
	text := readFile(t, log)
	if strings.Count(text, "exited with status 7") != 3 || !strings.Contains(text, "start limit hit: 3 starts within 10s") {
		t.Fatalf("log:\n%s", text)
	}
	waitFor(t, "pidfile removed", func() bool { _, err := os.Stat(p); return err != nil })
}

func TestKeepaliveForwardsSignals(t *testing.T) {
	dir := t.TempDir()
	p, log := filepath.Join(dir, "d.pid"), filepath.Join(dir, "signals.log")
	stopAtCleanup(t, p)
	self, _ := os.Executable()
	env := []string{helperEnv + "=signals", "HELPER_LOG=" + log}
	if r := run(t, env, dctl, "run", "--daemon", "--keepalive", "--pidfile", p, "--", self); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	waitFor(t, "worker start", func() bool { b, _ := os.ReadFile(log); return strings.HasPrefix(string(b), "start") })
	lines := func() []string { b, _ := os.ReadFile(log); return strings.Fields(string(b)) }
	for _, sig := range []string{"HUP", "USR1", "USR2"} {
		if r := run(t, nil, dctl, "reload", "--pidfile", p, "--signal", sig); r.code != 0 {
			t.Fatalf("reload %s: %d %s", sig, r.code, r.output)
		}
		waitFor(t, sig+" forwarded", func() bool { l := lines(); return l[len(l)-1] == "SIG"+sig })
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	if ws := waitGone(t, angel); ws.ExitStatus() != 0 {
		t.Errorf("angel status %v", ws)
	}
	if l := lines(); !slices.Equal(l, []string{"start", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTERM"}) {
		t.Fatalf("worker saw %v", l)
	}
}

func TestRunAsNobody(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	p, log := filepath.Join(dir, "run", "d.pid"), filepath.Join(dir, "out.log")
	stopAtCleanup(t, p)
	if r := run(t, nil, dctl, "run", "--daemon", "--user", "nobody", "--pidfile", p, "--stdout", log, "--", "sleep", "1000"); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	status := readFile(t, "/proc/"+strconv.Itoa(readPID(t, p))+"/status")
	for _, want := range []string{"Uid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t65534\t65534\t65534", "Groups:\t65534 \n"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(log, &st); err != nil || st.Uid != 65534 {
		t.Errorf("log file not given to nobody: %+v %v", st.Uid, err)
	}
}

// settledFDs returns pid's descriptors once they equal want, or what it
// holds after five seconds. A freshly executed dynamic program briefly holds
// its shared libraries open while the loader maps them, so a single early
// look can see a descriptor that is about to go away; a real leak never does.
func settledFDs(pid int, want []string) []string {
	got := fdTargets(pid)
	for deadline := time.Now().Add(5 * time.Second); !slices.Equal(got, want) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		got = fdTargets(pid)
	}
	return got
}

// fdTargets lists a process's descriptors as "N=target".
func fdTargets(pid int) []string {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, _ := os.ReadDir(dir)
	var got []string
	for _, fd := range fds {
		target, _ := os.Readlink(dir + fd.Name())
		got = append(got, fd.Name()+"="+target)
	}
	return got
}

// TestKeepaliveEndsLeftovers: what a worker leaves behind (here a child in
// its process group) is ended before the next worker starts, and with the
// last worker at stop, so that nothing of the daemon outlives `stop`.
func TestKeepaliveEndsLeftovers(t *testing.T) {
	dir := t.TempDir()
	p, log, left := filepath.Join(dir, "d.pid"), filepath.Join(dir, "angel.log"), filepath.Join(dir, "left")
	stopAtCleanup(t, p)
	script := `sleep 1000 & echo $! >>"$1"; exec sleep 1001`
	if r := run(t, nil, dctl, "run", "--daemon", "--keepalive", "--backoff", "0", "--pidfile", p, "--stderr", log, "--", "sh", "-c", script, "sh", left); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	leftover := func(n int) int {
		var pids []string
		waitFor(t, fmt.Sprintf("leftover %d", n), func() bool {
			b, _ := os.ReadFile(left)
			pids = strings.Fields(string(b))
			return len(pids) >= n
		})
		pid, _ := strconv.Atoi(pids[n-1])
		return pid
	}
	first, l1 := worker(t, angel), leftover(1)
	if !alive(l1) {
		t.Fatalf("leftover %d not running", l1)
	}
	unix.Kill(first, unix.SIGKILL)
	// The orphaned leftover is the angel's child for a moment, too.
	waitFor(t, "a new worker", func() bool {
		w := children(angel)
		return len(w) == 1 && w[0] != first && w[0] != l1
	})
	// Ended and reaped by the angel before the new worker started.
	if _, err := procStat(l1); err == nil {
		t.Errorf("leftover %d of the killed worker still exists", l1)
	}
	second, l2 := worker(t, angel), leftover(2)
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, angel)
	for _, pid := range []int{second, l2} {
		if _, err := procStat(pid); err == nil {
			t.Errorf("pid %d still exists after stop returned", pid)
		}
	}
	if text := readFile(t, log); !strings.Contains(text, "left 1 process(es) behind") {
		t.Errorf("log lacks the leftover line:\n%s", text)
	}
}

// cmdline returns a process's argument vector.
func cmdline(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// TestKeepaliveLongArgv: the worker's argv reaches it whole even when it is
// far larger than one environment string may be (128 KiB).
func TestKeepaliveLongArgv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	args := []string{"run", "--daemon", "--keepalive", "--pidfile", p, "--", "sh", "-c", "sleep 1000; :", "sh"}
	for i := range 30000 {
		args = append(args, "arg"+strconv.Itoa(i)) // ~260 KB in all
	}
	args = append(args, "a=b&c%41\nd")
	if r := run(t, nil, dctl, args...); r.code != 0 {
		t.Fatalf("run: %d %.300s", r.code, r.output)
	}
	w := worker(t, readPID(t, p))
	if got, want := cmdline(w), args[6:]; !slices.Equal(got, want) {
		t.Fatalf("worker argv: %d args, want %d", len(got), len(want))
	}
}

// TestPipelineJobKeepsJobControl: daemonctl in a pipeline of a shell with
// job control shares its process group with the rest of the pipeline, so
// it cannot start a session itself; it must stay in the terminal's
// foreground group (not wander into the shell's) and so can still report
// a failed start on the terminal under `stty tostop`.
func TestPipelineJobKeepsJobControl(t *testing.T) {
	dir := t.TempDir() // 0700, root's: nobody cannot reach prog
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	master, tty := openPTY(t)
	out := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			b.Write(buf[:n])
			if err != nil || strings.Contains(b.String(), "END") {
				out <- b.String()
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `set -m; stty tostop; "$0" run --daemon --user nobody -- "$1" | cat; echo "rc=$? END"`, dctl, prog)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatalf("shell: %v (stopped or hung?)", err)
	}
	select {
	case text := <-out:
		if !strings.Contains(text, "permission denied") || !strings.Contains(text, "rc=0 END") {
			t.Fatalf("terminal shows:\n%s", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no output on the terminal")
	}
}
