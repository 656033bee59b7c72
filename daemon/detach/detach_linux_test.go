package detach_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"golang.org/x/sys/unix"
)

// helperEnv makes the re-executed test binary play a part (see TestMain).
const helperEnv = "DETACH_TEST_HELPER"

// The test binary plays every process of a detached start: "session"
// leads a session with a terminal and runs the launcher in it (or is the
// launcher itself), "launch" calls Start, and "probe" is the detached
// program, which reports what it finds. The test process is a child
// subreaper, so the probe is reparented to it rather than to a PID 1 that
// may not reap.
func TestMain(m *testing.M) {
	if code, ok := detach.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	switch os.Getenv(helperEnv) {
	case "":
	case "session":
		os.Exit(session())
	case "launch":
		os.Exit(launch())
	case "probe":
		os.Exit(probe())
	default:
		os.Exit(2)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// session leads a session whose controlling terminal is its stdin and
// starts the launcher as DETACH_MODE says: "child" in its own process
// group (the launcher is no group leader), "job" in a group of its own (a
// shell's job), "leader" is the launcher itself (a session leader). After
// a successful start it stays until the probe has reported: the terminal
// stays the session's while the probe looks for one.
func session() int {
	code := 0
	if mode := os.Getenv("DETACH_MODE"); mode == "leader" {
		code = launch()
	} else {
		exe, err := os.Executable()
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = helperAs("launch")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: mode == "job"}
		if err := cmd.Run(); err != nil {
			fmt.Println("error launcher:", err)
			return 1
		}
	}
	for deadline := time.Now().Add(20 * time.Second); code == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(os.Getenv("DETACH_REPORT")); strings.HasSuffix(string(b), "done=1\n") {
			break
		}
	}
	return code
}

// helperAs returns our environment with the helper part set to part and
// the given variables replaced (the first of two settings of a variable is
// the one a Go program sees, and Start passes Env on as it is).
func helperAs(part string, vars ...string) []string {
	vars = append(vars, helperEnv+"="+part)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return slices.ContainsFunc(vars, func(v string) bool {
			k, _, _ := strings.Cut(v, "=")
			return strings.HasPrefix(kv, k+"=")
		})
	})
	return append(env, vars...)
}

// launch starts the probe with detach.Start and prints "pid N", or
// "error …" and "notexist" when the exec failed with ErrNotExist. It
// holds a descriptor that is not close-on-exec (as one inherited from a
// careless parent would be) and sets umask 027 first.
func launch() int {
	// The premise: the launcher has a controlling terminal to lose.
	if fd, err := unix.Open("/dev/tty", unix.O_RDWR|unix.O_NOCTTY, 0); err != nil {
		fmt.Println("error premise: the launcher has no controlling terminal:", err)
		return 1
	} else {
		unix.Close(fd)
	}
	if _, err := unix.Open(os.DevNull, unix.O_RDONLY, 0); err != nil { // leaked on purpose
		fmt.Println("error", err)
		return 1
	}
	report, err := os.OpenFile(os.Getenv("DETACH_REPORT"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if p := os.Getenv("DETACH_PATH"); p != "" {
		exe = p
	}
	unix.Umask(0o027)
	pid, err := detach.Start(&detach.Command{
		Path: exe,
		Args: []string{"probe", "-test.run=^$"},
		// The Go runtime of the probe would keep cgroup files open for
		// its GOMAXPROCS updates; only inherited descriptors count.
		Env:   helperAs("probe", "GODEBUG=containermaxprocs=0,updatemaxprocs=0"),
		Dir:   os.Getenv("DETACH_DIR"),
		Files: []*os.File{nil, nil, nil, report},
	})
	if err != nil {
		fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
		if errors.Is(err, os.ErrNotExist) {
			fmt.Println("notexist")
		}
		return 1
	}
	fmt.Println("pid", pid)
	return 0
}

// probe writes key=value lines about itself to descriptor 3, ending with
// "done=1", and then waits to be killed.
func probe() int {
	var b strings.Builder
	// The descriptors first, before anything here opens one: ReadDir's
	// own descriptor is closed when Readlink runs, so it drops out.
	entries, _ := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		fds = append(fds, e.Name())
		fmt.Fprintf(&b, "fd%s=%s\n", e.Name(), target)
	}
	fmt.Fprintf(&b, "fds=%s\n", strings.Join(fds, ","))
	tty := "opened"
	if fd, err := unix.Open("/dev/tty", unix.O_RDWR|unix.O_NOCTTY, 0); err != nil {
		tty = unix.ErrnoName(err.(syscall.Errno))
	} else {
		unix.Close(fd)
	}
	sid, _ := unix.Getsid(0)
	cwd, _ := os.Getwd()
	um := unix.Umask(0)
	var stageVars []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DAEMONCTL_DETACH_") {
			stageVars = append(stageVars, kv)
		}
	}
	fmt.Fprintf(&b, "pid=%d\nsid=%d\npgid=%d\ntty=%s\ncwd=%s\numask=%03o\nstagevars=%s\ndone=1\n",
		os.Getpid(), sid, unix.Getpgrp(), tty, cwd, um, strings.Join(stageVars, " "))
	os.NewFile(3, "report").WriteString(b.String())
	for {
		time.Sleep(time.Hour)
	}
}

// openPTY returns a new pseudo-terminal's master and slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	master = os.NewFile(uintptr(m), "ptmx")
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := unix.Open("/dev/pts/"+strconv.Itoa(n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, os.NewFile(uintptr(s), "pts")
}

// start runs the session helper in a new session whose controlling
// terminal is a new pseudo-terminal, waits (at most 20 s) for it to end,
// and returns its pid and what the launcher printed. env adds to the
// helpers' environment.
func start(t *testing.T, mode string, env ...string) (int, string) {
	t.Helper()
	_, slave := openPTY(t)
	defer slave.Close()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = helperAs("session", append(env, "DETACH_MODE="+mode)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the launcher did not return within 20 s")
	}
	b, _ := os.ReadFile(out.Name())
	return cmd.Process.Pid, string(b)
}

// procStat returns the fields of /proc/pid/stat after the command name:
// [0] is the state, [1] the ppid, [4] tty_nr.
func procStat(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("the detached program is gone: %v", err)
	}
	i := strings.LastIndexByte(string(b), ')')
	return strings.Fields(string(b[i+1:]))
}

// TestDetached starts the probe with Start from a launcher that has a
// controlling terminal, in each of the three situations Start handles,
// and checks the classic-daemon contract from inside the probe and from
// /proc: a new session it does not lead, a process group of its own, no
// controlling terminal (opening /dev/tty fails with ENXIO), reparented to
// the subreaper once the launcher is gone, the given working directory,
// the launcher's umask, stdio on /dev/null, and exactly the descriptors
// passed (0-2 and the report file as 3), no stage variables.
func TestDetached(t *testing.T) {
	for _, mode := range []string{"child", "job", "leader"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			report, work := filepath.Join(dir, "report"), filepath.Join(dir, "work")
			if err := os.WriteFile(report, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(work, 0o755); err != nil {
				t.Fatal(err)
			}
			leader, out := start(t, mode, "DETACH_REPORT="+report, "DETACH_DIR="+work)
			f := strings.Fields(out)
			if len(f) != 2 || f[0] != "pid" {
				t.Fatalf("launcher output: %q", out)
			}
			pid, _ := strconv.Atoi(f[1])
			t.Cleanup(func() { unix.Kill(pid, unix.SIGKILL); unix.Wait4(pid, nil, 0, nil) })
			facts := map[string]string{}
			waitFor(t, "the probe's report", func() bool {
				b, _ := os.ReadFile(report)
				for line := range strings.Lines(string(b)) {
					k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
					facts[k] = v
				}
				return facts["done"] == "1"
			})
			ourSid, _ := unix.Getsid(0)
			sid, _ := strconv.Atoi(facts["sid"])
			switch {
			case facts["pid"] != f[1]:
				t.Errorf("report from pid %s, Start returned %d", facts["pid"], pid)
			case sid == pid:
				t.Errorf("the program leads its session %d", sid)
			case sid == leader || sid == ourSid:
				t.Errorf("the program stayed in an old session %d (terminal's %d, ours %d)", sid, leader, ourSid)
			}
			if facts["pgid"] != f[1] {
				t.Errorf("process group %s, want its own (%d)", facts["pgid"], pid)
			}
			if facts["tty"] != "ENXIO" {
				t.Errorf("opening /dev/tty: %s, want ENXIO (no controlling terminal)", facts["tty"])
			}
			st := procStat(t, pid)
			if st[4] != "0" {
				t.Errorf("tty_nr %s, want 0", st[4])
			}
			if st[1] != strconv.Itoa(os.Getpid()) {
				t.Errorf("parent %s once the launcher is gone, want the subreaper %d", st[1], os.Getpid())
			}
			if facts["cwd"] != work || facts["umask"] != "027" {
				t.Errorf("cwd %q umask %s, want %q and the launcher's 027", facts["cwd"], facts["umask"], work)
			}
			if facts["fds"] != "0,1,2,3" {
				t.Errorf("descriptors %s, want 0,1,2,3 (stdio and the one passed); report: %v", facts["fds"], facts)
			}
			for _, fd := range []string{"fd0", "fd1", "fd2"} {
				if facts[fd] != os.DevNull {
					t.Errorf("%s is %q, want %s", fd, facts[fd], os.DevNull)
				}
			}
			if facts["fd3"] != report {
				t.Errorf("fd3 is %q, want %s", facts["fd3"], report)
			}
			if facts["stagevars"] != "" {
				t.Errorf("stage variables reached the program: %s", facts["stagevars"])
			}
		})
	}
}

// TestStartNotFound: an exec failure comes back from Start as
// ErrNotExist, on the direct path and through the intermediate stage, and
// nothing is left running.
func TestStartNotFound(t *testing.T) {
	for _, mode := range []string{"child", "leader"} {
		t.Run(mode, func(t *testing.T) {
			report := filepath.Join(t.TempDir(), "report")
			if err := os.WriteFile(report, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			_, out := start(t, mode, "DETACH_REPORT="+report, "DETACH_PATH=/nonexistent/prog")
			if !strings.HasPrefix(out, "error") || !slices.Contains(strings.Split(out, "\n"), "notexist") {
				t.Fatalf("launcher output %q, want an ErrNotExist error", out)
			}
			if pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil); !errors.Is(err, unix.ECHILD) {
				t.Errorf("a process was left over (wait4 = %d, %v)", pid, err)
			}
		})
	}
}

// waitFor polls cond for test synchronisation (not as an assertion on
// time) and fails after a generous 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
