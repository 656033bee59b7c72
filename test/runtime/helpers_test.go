//go:build linux

package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon"
	"golang.org/x/sys/unix"
)

// Binaries built once by TestMain.
var (
	dctl  string // daemonctl
	echod string
)

// helperEnv selects what the re-executed test binary does (see helper).
const helperEnv = "RUNTIME_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(helper(h))
	}
	// Daemons are reparented to us, not to a PID 1 that may not reap.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "runtimetest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dctl, echod = filepath.Join(dir, "daemonctl"), filepath.Join(dir, "echod")
	gobin, err := exec.LookPath("go") // go test puts $GOROOT/bin on PATH
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for bin, pkg := range map[string]string{dctl: "../../cmd/daemonctl", echod: "../../cmd/echod"} {
		cmd := exec.Command(gobin, "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helper is the test binary acting as a program or a library daemon.
func helper(name string) int {
	switch name {
	case "ignoreterm": // a program that ignores SIGTERM
		signal.Ignore(unix.SIGTERM)
		touch(os.Getenv("HELPER_READY"))
		for {
			time.Sleep(time.Hour)
		}
	case "signals": // a program that logs the signals it gets
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGTERM)
		appendLine(os.Getenv("HELPER_LOG"), "start")
		for s := range sigs {
			appendLine(os.Getenv("HELPER_LOG"), unix.SignalName(s.(syscall.Signal)))
			if s == unix.SIGTERM {
				return 0
			}
		}
	case "lib": // a daemon built on package daemon, configured by LIB_* variables
		return libDaemon()
	}
	return 2
}

func libDaemon() int {
	cfg := daemon.Config{
		PIDFile: os.Getenv("LIB_PIDFILE"),
		LogFile: os.Getenv("LIB_LOG"),
		User:    os.Getenv("LIB_USER"),
	}
	if os.Getenv("LIB_CLASSIC") != "" {
		cfg.Mode = daemon.ModeClassic
	}
	if os.Getenv("LIB_KEEPALIVE") != "" {
		cfg.Keepalive = &daemon.Keepalive{}
	}
	info := os.Getenv("LIB_INFO")
	err := daemon.Run(context.Background(), cfg, daemon.Handlers{
		Run: func(ctx context.Context, d *daemon.Daemon) error {
			if msg := os.Getenv("LIB_FAIL"); msg != "" {
				return errors.New(msg)
			}
			if info != "" {
				_, _, setuidErr := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0)
				groups, _ := unix.Getgroups()
				cwd, _ := os.Getwd()
				um := unix.Umask(0)
				unix.Umask(um)
				facts := fmt.Sprintf("pid=%d uid=%d euid=%d gid=%d groups=%v setuid0=%v cwd=%s umask=%03o\n",
					os.Getpid(), os.Getuid(), os.Geteuid(), os.Getgid(), groups, setuidErr == 0, cwd, um)
				os.WriteFile(info, []byte(facts), 0o644)
			}
			d.Logger().Info("serving")
			d.Ready()
			d.Status("serving")
			<-ctx.Done()
			return nil
		},
		Reload: func(context.Context, *daemon.Daemon) error {
			if info != "" {
				appendLine(info+".events", "reload")
			}
			return nil
		},
	})
	if err != nil && daemon.ExitCode(err) == 1 {
		fmt.Fprintln(os.Stderr, err)
	}
	return daemon.ExitCode(err)
}

func touch(path string) {
	if path != "" {
		os.WriteFile(path, nil, 0o644)
	}
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		fmt.Fprintln(f, line)
		f.Close()
	}
}

// result is a finished command.
type result struct {
	code   int
	output string
}

// run runs a binary with extra environment and returns its exit code and
// combined output.
func run(t *testing.T, env []string, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), output: string(out)}
}

// stat is what /proc/PID/stat says about a process.
type stat struct {
	state                  byte
	ppid, pgrp, sid, ttyNr int
}

func procStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	n := func(i int) int { v, _ := strconv.Atoi(f[i]); return v }
	return stat{state: f[0][0], ppid: n(1), pgrp: n(2), sid: n(3), ttyNr: n(4)}, nil
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	st, err := procStat(pid)
	return err == nil && st.state != 'Z'
}

// reap collects pid if it is our (adopted) zombie child and returns its
// status.
func reap(pid int) (unix.WaitStatus, bool) {
	var ws unix.WaitStatus
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	return ws, err == nil && got == pid
}

// waitFor polls cond: synchronisation with processes, not an assertion
// on time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// waitGone waits until pid has exited and reaps it when it is ours.
func waitGone(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	waitFor(t, fmt.Sprintf("pid %d to exit", pid), func() bool {
		if w, ok := reap(pid); ok {
			ws = w
			return true
		}
		return !alive(pid) && !isChildZombie(pid)
	})
	return ws
}

func isChildZombie(pid int) bool {
	st, err := procStat(pid)
	return err == nil && st.state == 'Z' && st.ppid == os.Getpid()
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pidfile %s: %q", path, b)
	}
	return pid
}

// children lists the live processes whose parent is ppid.
func children(ppid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := procStat(pid); err == nil && st.ppid == ppid && st.state != 'Z' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stopAtCleanup makes sure the daemon behind path is gone after the test.
func stopAtCleanup(t *testing.T, path string) {
	t.Cleanup(func() {
		pid := 0
		if b, err := os.ReadFile(path); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		exec.Command(dctl, "stop", "--timeout", "2s", "--pidfile", path).Run()
		if pid > 0 {
			reap(pid)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
