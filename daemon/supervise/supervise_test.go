package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
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

// The test binary doubles as the worker: TestMain turns into one when
// SUPERVISE_TEST_WORKER names a behaviour.
func TestMain(m *testing.M) {
	switch os.Getenv("SUPERVISE_TEST_WORKER") {
	case "":
		os.Exit(m.Run())
	case "exit":
		os.Exit(3)
	case "sleep":
		// Record every forwarded signal, one per line; exit on TERM.
		out, _ := os.OpenFile(os.Getenv("SUPERVISE_TEST_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM)
		fmt.Fprintf(out, "start %d\n", os.Getpid())
		for s := range sigs {
			fmt.Fprintf(out, "%s\n", unix.SignalName(s.(syscall.Signal)))
			if s == syscall.SIGTERM {
				os.Exit(0)
			}
		}
	}
}

type fixture struct {
	cfg  Config
	log  string
	mu   sync.Mutex
	pids []int
}

func newFixture(t *testing.T, behaviour string) *fixture {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{log: filepath.Join(t.TempDir(), "worker.log")}
	f.cfg = Config{
		Path:  exe,
		Env:   append(os.Environ(), "SUPERVISE_TEST_WORKER="+behaviour, "SUPERVISE_TEST_LOG="+f.log),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Logf:  t.Logf,
		Started: func(pid, n int) {
			f.mu.Lock()
			f.pids = append(f.pids, pid)
			f.mu.Unlock()
		},
	}
	return f
}

func (f *fixture) started() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.pids...)
}

// waitFor polls cond for test synchronisation (not as an assertion on time).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// mkfifo makes a named pipe for a handshake between the test and the
// processes it starts, and returns its path.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// release lets a process that waits with `read _ <fifo` go on. The test
// holds the pipe open (read-write, so nothing blocks) until it ends, with
// a line in it for whoever opens it, whether before or after this call.
func release(t *testing.T, fifo string) {
	t.Helper()
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
}

// readyPrelude starts a worker script that waits for the processes it
// starts: it opens the fifo named by $READY read-write on fd 3 (so that
// writers never block), and `ready N` returns once N of them have written
// a line to "$READY". The processes it starts should close fd 3.
const readyPrelude = `exec 3<>"$READY"; ready() { i=0; while [ $i -lt $1 ]; do read _ <&3; i=$((i+1)); done; }; `

// withReady points $READY of the worker at a new fifo.
func withReady(t *testing.T, cfg Config) Config {
	t.Helper()
	cfg.Env = append(os.Environ(), "READY="+mkfifo(t))
	return cfg
}

// runResult is what Run returned.
type runResult struct {
	e   Exit
	err error
}

// startRun runs Run in the background.
func startRun(ctx context.Context, cfg Config) <-chan runResult {
	res := make(chan runResult, 1)
	go func() { e, err := Run(ctx, cfg); res <- runResult{e, err} }()
	return res
}

// runWithin is Run bounded by a generous deadline (see awaitRun).
func runWithin(t *testing.T, ctx context.Context, cfg Config) (Exit, error) {
	t.Helper()
	return awaitRun(t, startRun(ctx, cfg))
}

// awaitRun waits for a Run started by startRun. When it has not returned
// after 20 s, every child of ours gets SIGKILL until it does, and the test
// fails.
func awaitRun(t *testing.T, res <-chan runResult) (Exit, error) {
	t.Helper()
	select {
	case r := <-res:
		return r.e, r.err
	case <-time.After(20 * time.Second):
	}
	for {
		for _, pid := range children() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-res:
			t.Fatal("Run did not return within 20 s (its children were killed to end it)")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// parentOf returns the parent pid of pid from /proc, 0 when it is gone.
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	if i := strings.LastIndexByte(string(b), ')'); i > 0 {
		if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			return ppid
		}
	}
	return 0
}

func (f *fixture) logLines() []string {
	b, _ := os.ReadFile(f.log)
	return strings.Fields(string(b))
}

func assertNoChildren(t *testing.T) {
	t.Helper()
	if pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil); !errors.Is(err, unix.ECHILD) {
		t.Fatalf("a child is left over (wait4 = %d, %v): zombie or running worker", pid, err)
	}
}

func TestRestartAfterKillAndStop(t *testing.T) {
	f := newFixture(t, "sleep")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		e   Exit
		err error
	}
	res := make(chan result, 1)
	go func() { e, err := Run(ctx, f.cfg); res <- result{e, err} }()
	waitFor(t, "first worker", func() bool { return len(f.started()) == 1 && len(f.logLines()) >= 2 })
	first := f.started()[0]
	if err := unix.Kill(first, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "restart", func() bool { return len(f.started()) == 2 })
	second := f.started()[1]
	if second == first {
		t.Fatal("same pid after restart")
	}
	// The second worker handles TERM once it has logged its start.
	waitFor(t, "second worker's handler", func() bool { return slices.Contains(f.logLines(), strconv.Itoa(second)) })
	// The killed worker was reaped by the supervisor: no zombie left.
	if err := unix.Kill(first, 0); !errors.Is(err, unix.ESRCH) {
		t.Fatalf("killed worker %d still exists (zombie?): %v", first, err)
	}
	cancel() // like SIGTERM to the angel: TERM to the worker, no restart
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.e.Stopped || r.e.PID != second || r.e.Signal != 0 || r.e.Code != 0 {
		t.Fatalf("exit = %+v (code %d)", r.e, r.e.ExitCode())
	}
	assertNoChildren(t)
}

func TestStartLimit(t *testing.T) {
	f := newFixture(t, "exit")
	f.cfg.StartLimitBurst = 3
	e, err := Run(context.Background(), f.cfg)
	if !errors.Is(err, ErrStartLimit) {
		t.Fatalf("Run = %v, want ErrStartLimit", err)
	}
	if n := len(f.started()); n != 3 {
		t.Fatalf("%d starts, want 3", n)
	}
	if e.Code != 3 {
		t.Fatalf("last exit %+v", e)
	}
	assertNoChildren(t)
}

func TestPolicyNoAndExitCode(t *testing.T) {
	f := newFixture(t, "exit")
	f.cfg.Restart = RestartNo
	e, err := Run(context.Background(), f.cfg)
	if err != nil || len(f.started()) != 1 || e.ExitCode() != 3 {
		t.Fatalf("Run = %+v, %v after %d starts", e, err, len(f.started()))
	}
}

func TestForwardSignals(t *testing.T) {
	f := newFixture(t, "sleep")
	res := make(chan error, 1)
	go func() { _, err := Run(context.Background(), f.cfg); res <- err }()
	waitFor(t, "worker", func() bool { return len(f.logLines()) >= 2 })
	for _, s := range []syscall.Signal{unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2} {
		unix.Kill(os.Getpid(), s) // the supervisor's handler takes it
		waitFor(t, unix.SignalName(s)+" forwarded", func() bool {
			l := f.logLines()
			return l[len(l)-1] == unix.SignalName(s)
		})
	}
	unix.Kill(os.Getpid(), unix.SIGTERM)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if l := f.logLines(); l[len(l)-1] != "SIGTERM" || len(f.started()) != 1 {
		t.Fatalf("log %q after %d starts", l, len(f.started()))
	}
	assertNoChildren(t)
}

func TestNotFound(t *testing.T) {
	cfg := Config{Path: "/nonexistent/worker", Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}}
	if _, err := Run(context.Background(), cfg); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run = %v, want ErrNotExist", err)
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	d := time.Duration(0)
	for range 6 {
		d = nextBackoff(d, 100*time.Millisecond, time.Second)
		got = append(got, d)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoff sequence %v", got)
		}
	}
	if d := nextBackoff(0, 0, time.Second); d != 0 {
		t.Fatalf("zero backoff grew to %v", d)
	}
	if d := nextBackoff(time.Second, time.Second, 0); d != time.Second {
		t.Fatalf("no max: %v", d)
	}
}

func TestStartLimitWindow(t *testing.T) {
	l := startLimit{burst: 2, interval: time.Minute}
	t0 := time.Unix(1000, 0)
	if !l.allow(t0) || !l.allow(t0.Add(time.Second)) || l.allow(t0.Add(2*time.Second)) {
		t.Fatal("third start within the window allowed")
	}
	if !l.allow(t0.Add(61 * time.Second)) {
		t.Fatal("start after the window refused")
	}
	if off := (startLimit{burst: -1}); !off.allow(t0) {
		t.Fatal("disabled limit refused")
	}
}

func TestPolicies(t *testing.T) {
	crash, clean := Exit{Code: 1}, Exit{}
	killed := Exit{Code: -1, Signal: unix.SIGKILL}
	cases := []struct {
		p    Policy
		e    Exit
		want bool
	}{
		{RestartOnFailure, crash, true}, {RestartOnFailure, killed, true}, {RestartOnFailure, clean, false},
		{RestartAlways, clean, true}, {RestartNo, crash, false},
	}
	for _, c := range cases {
		if got := c.p.shouldRestart(c.e); got != c.want {
			t.Errorf("%s.shouldRestart(%v) = %v", c.p, c.e, got)
		}
	}
	if _, err := ParsePolicy("sometimes"); !errors.Is(err, ErrConfig) {
		t.Errorf("ParsePolicy(bad) = %v", err)
	}
	if (Exit{MaxRSS: 3 << 20, MaxRSSFloor: 4 << 20}).RSS() != "≤ 3.0 MiB" || (Exit{MaxRSS: 8 << 20, MaxRSSFloor: 4 << 20}).RSS() != "8.0 MiB" {
		t.Error("RSS wording")
	}
	if killed.String() != "killed by signal 9 (SIGKILL)" || crash.String() != "exited with status 1" {
		t.Errorf("strings %q %q", killed, crash)
	}
	if (Exit{Signal: unix.SIGTERM, Stopped: true}).ExitCode() != 0 || killed.ExitCode() != 137 {
		t.Error("ExitCode mapping")
	}
}

// TestLeftoversEnded: a worker that exits leaving a child that ignores
// SIGTERM (in its process group) and a child that left the group (its own
// session) behind: both are ended, the stubborn one by SIGKILL after
// LeftoverTimeout, and both are reaped before Run returns. The worker
// exits only once the first child ignores TERM and the second has left.
func TestLeftoversEnded(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	var lines []string
	var mu sync.Mutex
	cfg := Config{
		Path: "/bin/sh",
		// The first child ignores TERM (an ignored disposition survives
		// exec); the second leaves the group for a session of its own.
		Args: []string{"sh", "-c", readyPrelude + `(trap '' TERM; echo >"$READY"; exec sleep 1000) 3>&- & echo $! >"$1"
setsid sh -c 'echo >"$READY"; exec sleep 1000' 3>&- & echo $! >>"$1"
ready 2; exit 3`, "sh", pids},
		Files:           []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Restart:         RestartNo,
		LeftoverTimeout: 200 * time.Millisecond,
		Logf: func(format string, args ...any) {
			mu.Lock()
			lines = append(lines, fmt.Sprintf(format, args...))
			mu.Unlock()
			t.Logf(format, args...)
		},
	}
	exit, err := runWithin(t, context.Background(), withReady(t, cfg))
	if err != nil || exit.Code != 3 {
		t.Fatalf("Run: %+v, %v", exit, err)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("pids file %q", b)
	}
	for _, f := range fields {
		// Not even a zombie: Run reaped it.
		if _, err := os.Stat("/proc/" + f); err == nil {
			t.Errorf("leftover %s still exists after Run returned", f)
		}
	}
	log := strings.Join(lines, "\n")
	for _, want := range []string{"left 2 process(es) behind: sent SIGTERM", "still running after 200ms: sent SIGKILL"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if kids := children(); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

// TestLeftoverTreeKilledAsGroup: a leftover that ignores TERM and has a
// child of its own in the worker's group: one SIGKILL to the group ends
// both, and both are gone when Run returns.
func TestLeftoverTreeKilledAsGroup(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	log := &logSink{}
	cfg := shConfig(readyPrelude+`(trap '' TERM; sh -c 'echo $$ >>"$1"; echo >"$READY"; sleep 1000; :' sh "$1"; :) 3>&- & echo $! >>"$1"; ready 1; exit 3`,
		200*time.Millisecond, log.printf, "sh", pids)
	if _, err := runWithin(t, context.Background(), withReady(t, cfg)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(pids)
	if f := strings.Fields(string(b)); len(f) != 2 {
		t.Fatalf("pids %q", b)
	} else {
		for _, pid := range f {
			if st, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil {
				t.Errorf("pid %s still there: %s", pid, st)
			}
		}
	}
	if strings.Contains(log.String(), "did not end") || strings.Count(log.String(), "sent SIGKILL") != 1 {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestStopDuringLeftoverDrain: a stop requested while a dead worker's
// leftovers are being ended is honoured: no new worker starts.
func TestStopDuringLeftoverDrain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	starts := 0
	cfg := Config{
		Path:            "/bin/sh",
		Args:            []string{"sh", "-c", readyPrelude + `(trap '' TERM; echo >"$READY"; exec sleep 1000) 3>&- & ready 1; exit 1`},
		Files:           []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Restart:         RestartAlways,
		LeftoverTimeout: 300 * time.Millisecond,
		Started:         func(int, int) { starts++ },
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "behind") {
				cancel()
			}
		},
	}
	exit, err := runWithin(t, ctx, withReady(t, cfg))
	if err != nil || !exit.Stopped || starts != 1 {
		t.Fatalf("Run: %+v, %v, %d starts", exit, err, starts)
	}
}

// TestForeignChildrenSpared: children the process had before Run are not
// a worker's leftovers and are not signalled.
func TestForeignChildrenSpared(t *testing.T) {
	own := exec.Command("sleep", "1000")
	if err := own.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { own.Process.Kill(); own.Wait() }()
	cfg := shConfig(`sleep 1000 & exit 3`, 200*time.Millisecond, t.Logf)
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := own.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("our own child was ended by Run: %v", err)
	}
	if kids := slices.DeleteFunc(children(), func(p int) bool { return p == own.Process.Pid }); len(kids) != 0 {
		t.Errorf("leftovers still there: %v", kids)
	}
}

// TestOrphansOfForeignChildrenSpared: what a child we had before Run
// leaves behind (adopted by us, in our process group) is not a worker's
// leftover either. The child leaves its orphan only once the worker runs,
// and the worker exits only once we have adopted that orphan.
func TestOrphansOfForeignChildrenSpared(t *testing.T) {
	dir := t.TempDir()
	pidf := filepath.Join(dir, "pid")
	goOwn, goWorker := mkfifo(t), mkfifo(t)
	own := exec.Command("sh", "-c", `read _ <"$1"; sleep 1000 & echo $! >"$2"`, "sh", goOwn, pidf)
	if err := own.Start(); err != nil {
		t.Fatal(err)
	}
	defer own.Process.Kill() // when the test fails before releasing it
	started := make(chan struct{})
	cfg := shConfig(`sleep 1000 & read _ <"$1"; exit 3`, 200*time.Millisecond, t.Logf, "sh", goWorker)
	cfg.Started = func(int, int) { close(started) }
	res := startRun(context.Background(), cfg)
	select {
	case <-started:
	case r := <-res:
		t.Fatalf("Run returned before the worker started: %v", r.err)
	case <-time.After(20 * time.Second):
		t.Fatal("the worker did not start within 20 s")
	}
	release(t, goOwn)
	var pid int
	waitFor(t, "the orphan of our own child to be adopted", func() bool {
		b, _ := os.ReadFile(pidf)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid > 0 && parentOf(pid) == os.Getpid()
	})
	defer func() { syscall.Kill(pid, syscall.SIGKILL); syscall.Wait4(pid, nil, 0, nil) }()
	release(t, goWorker)
	if _, err := awaitRun(t, res); err != nil {
		t.Fatal(err)
	}
	own.Wait() // Run may have reaped it already
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
		t.Fatalf("the orphan of our own child was ended by Run: %q, %v", st, err)
	}
}

// TestOrphansAdoptedDuringDrainGetTERM: a leftover's child in a session of
// its own, adopted only when that leftover ends, still gets SIGTERM first.
// The worker exits once that orphan-to-be has its TERM trap; the grace
// period before SIGKILL is long, so that only a SIGKILL sent first (or no
// signal at all, which ends in SIGKILL too) can fail the test.
func TestOrphansAdoptedDuringDrainGetTERM(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	inner := filepath.Join(dir, "inner.sh")
	if err := os.WriteFile(inner, []byte("trap 'echo TERM >\""+got+"\"; exit 0' TERM\necho >\"$READY\"\nwhile :; do sleep 0.05; done\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &logSink{}
	cfg := shConfig(readyPrelude+`sh -c 'setsid sh "$1" & wait' sh "$1" 3>&- & ready 1; exit 3`, 15*time.Second, log.printf, "sh", inner)
	if _, err := runWithin(t, context.Background(), withReady(t, cfg)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); strings.TrimSpace(string(b)) != "TERM" || strings.Contains(log.String(), "SIGKILL") {
		t.Fatalf("the adopted orphan did not get SIGTERM first (got %q); log:\n%s", b, log.String())
	}
}

// logSink collects Logf lines for a test to inspect.
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shConfig runs script with sh -c (args after it are $0, $1…), without
// restarts, with the given leftover grace period and log.
func shConfig(script string, grace time.Duration, logf func(string, ...any), args ...string) Config {
	return Config{
		Path:            "/bin/sh",
		Args:            append([]string{"sh", "-c", script}, args...),
		Files:           []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Restart:         RestartNo,
		LeftoverTimeout: grace,
		Logf:            logf,
	}
}

// TestStopKillsTermIgnoringWorkerTree: a worker that ignores SIGTERM, with
// a child in its process group and an orphan in a session of its own
// (adopted by us): after StopTimeout the whole tree gets SIGKILL, and Run
// returns only once all of it is gone.
func TestStopKillsTermIgnoringWorkerTree(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	log := &logSink{}
	cfg := shConfig(`trap '' TERM; sleep 1000 & echo $! >>"$1"; (setsid sleep 1000 & echo $! >>"$1"); echo $$ >>"$1"; wait`,
		time.Hour, log.printf, "sh", pids)
	cfg.StopTimeout = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		e   Exit
		err error
	}
	res := make(chan result, 1)
	go func() { e, err := Run(ctx, cfg); res <- result{e, err} }()
	var tree []string
	waitFor(t, "the worker's tree", func() bool {
		b, _ := os.ReadFile(pids)
		tree = strings.Fields(string(b))
		return len(tree) == 3
	})
	cancel()
	select {
	case r := <-res:
		if r.err != nil || !r.e.Stopped || r.e.Signal != syscall.SIGKILL {
			t.Errorf("Run: %+v, %v; want a stopped worker killed by SIGKILL", r.e, r.err)
		}
	case <-time.After(20 * time.Second):
		for _, p := range tree {
			pid, _ := strconv.Atoi(p)
			syscall.Kill(pid, syscall.SIGKILL)
		}
		<-res
		t.Fatalf("Run did not return after the stop timeout; log:\n%s", log.String())
	}
	for _, p := range tree {
		if _, err := os.Stat("/proc/" + p); err == nil {
			t.Errorf("pid %s of the worker's tree still exists after Run returned", p)
		}
	}
	if !strings.Contains(log.String(), "after the stop request: sent SIGKILL") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestStopCutsLeftoverGrace: a stop requested while a dead worker's
// leftover (ignoring SIGTERM) has a long grace period ends it with SIGKILL
// at the stop deadline, not at the end of the grace period.
func TestStopCutsLeftoverGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pids := filepath.Join(t.TempDir(), "pids")
	log := &logSink{}
	cfg := shConfig(readyPrelude+`(trap '' TERM; echo >"$READY"; exec sleep 1000) 3>&- & echo $! >"$1"; ready 1; exit 1`, time.Hour, func(format string, args ...any) {
		log.printf(format, args...)
		if strings.Contains(format, "behind") {
			cancel()
		}
	}, "sh", pids)
	cfg = withReady(t, cfg)
	cfg.StopTimeout = 200 * time.Millisecond
	res := make(chan error, 1)
	go func() { _, err := Run(ctx, cfg); res <- err }()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		b, _ := os.ReadFile(pids)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		<-res
		t.Fatalf("Run waited for the leftover grace period despite the stop; log:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "at the stop deadline: sent SIGKILL") {
		t.Errorf("log:\n%s", log.String())
	}
}
