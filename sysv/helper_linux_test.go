package sysv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// roleEnv selects what the re-executed test binary does instead of testing.
const roleEnv = "DAEMONCTL_SYSV_ROLE"

// recordEnv names the file a recorder appends its JSON records to.
const recordEnv = "DAEMONCTL_SYSV_RECORD"

// The roles of the re-executed test binary.
const (
	roleInit     = "init"     // PID 1 of a test PID namespace: reaps, exits on stdin EOF
	roleRecorder = "recorder" // records argv, env, ids; records HUP; exits on TERM
	roleStubborn = "stubborn" // like recorder, but records and ignores TERM
	roleForker   = "forker"   // a forking daemon: starts roleForked, waits for its pidfile, exits
	roleForked   = "forked"   // writes its pid to $DAEMONCTL_SYSV_PIDFILE, then records
	roleAttacker = "attacker" // replaces a pidfile with hostile things until stdin closes
)

// noReadyEnv, when set, keeps a recorder from sending READY=1.
const noReadyEnv = "DAEMONCTL_SYSV_NO_READY"

// pidfileEnv names the pidfile a forked recorder writes.
const pidfileEnv = "DAEMONCTL_SYSV_PIDFILE"

// helperBin is a copy of the test binary that every account can execute
// (go test's own build directory is private to root); set by TestMain.
var helperBin string

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case roleInit:
		os.Exit(runInit())
	case roleRecorder, roleStubborn:
		os.Exit(runRecorder(os.Getenv(roleEnv) == roleStubborn))
	case roleForker:
		os.Exit(runForker())
	case roleAttacker:
		os.Exit(runAttacker())
	case roleForked:
		pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
		if err := os.WriteFile(os.Getenv(pidfileEnv), pid, 0o644); err != nil {
			os.Exit(3)
		}
		os.Exit(runRecorder(false))
	}
	dir, cleanup, err := publicCopy()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sysv test:", err)
		os.Exit(1)
	}
	helperBin = dir
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// publicCopy copies the test binary into a world-readable directory.
func publicCopy() (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "daemonctl-sysv-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	data, err := os.ReadFile(self)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	dst := filepath.Join(dir, "helper")
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	return dst, cleanup, nil
}

// runInit is PID 1 of a test PID namespace: it reaps every orphan and exits
// when its stdin closes, which makes the kernel kill the namespace.
func runInit() int {
	go func() {
		for {
			var ws unix.WaitStatus
			if _, err := unix.Wait4(-1, &ws, 0, nil); err == unix.ECHILD {
				// Nothing to reap yet: orphans may arrive later.
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// runForker behaves like a classic forking daemon: it starts the real
// program in a session of its own, waits until that wrote its pidfile, and
// exits.
func runForker() int {
	self, err := os.Executable()
	if err != nil {
		return 1
	}
	pidfile := os.Getenv(pidfileEnv)
	_ = os.Remove(pidfile)
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"="+roleForked)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 1
	}
	for i := 0; i < 1000; i++ {
		if data, err := os.ReadFile(pidfile); err == nil && len(data) > 0 && data[len(data)-1] == '\n' {
			return 0
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 1
}

// record is one line a recorder writes.
type record struct {
	Event  string            `json:"event"` // "start" or a signal name
	Pid    int               `json:"pid"`
	Args   [][]byte          `json:"args,omitempty"` // raw bytes: JSON strings would mangle invalid UTF-8
	Env    map[string]string `json:"env,omitempty"`
	UID    int               `json:"uid"`
	GID    int               `json:"gid"`
	Cwd    string            `json:"cwd,omitempty"`
	Umask  int               `json:"umask"`
	Nofile [2]uint64         `json:"nofile"`
	Core   [2]uint64         `json:"core"`
	Sid    int               `json:"sid"`
}

func runRecorder(stubborn bool) int {
	out := os.Getenv(recordEnv)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGUSR1)
	write := func(r record) {
		r.Pid = os.Getpid()
		r.UID, r.GID = os.Getuid(), os.Getgid()
		line, _ := json.Marshal(r)
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err != nil {
			os.Exit(3)
		}
		_, _ = f.Write(append(line, '\n'))
		_ = f.Close()
	}
	r := record{Event: "start", Env: map[string]string{}}
	for _, a := range os.Args[1:] {
		r.Args = append(r.Args, []byte(a))
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		r.Env[k] = v
	}
	r.Cwd, _ = os.Getwd()
	r.Umask = unix.Umask(0)
	unix.Umask(r.Umask)
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
		r.Nofile = [2]uint64{lim.Cur, lim.Max}
	}
	if unix.Getrlimit(unix.RLIMIT_CORE, &lim) == nil {
		r.Core = [2]uint64{lim.Cur, lim.Max}
	}
	r.Sid, _ = unix.Getsid(0)
	write(r)
	// Ready only once the record is written, so that a start that waits
	// for readiness finds it.
	if os.Getenv(noReadyEnv) == "" {
		if _, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
			return 4
		}
	}
	for s := range sigs {
		name := unix.SignalName(s.(syscall.Signal))
		write(record{Event: name})
		if s == syscall.SIGTERM && !stubborn {
			return 0
		}
	}
	return 0
}

// readRecords parses a recorder's file; a missing file is no records.
func readRecords(t testing.TB, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out
}

// pidNS is a private PID and mount namespace whose PID 1 reaps orphans.
type pidNS struct {
	holder *exec.Cmd
	stdin  io.WriteCloser
	enter  []string // nsenter prefix
}

// newPIDNS starts a namespace that lives until the test ends.
func newPIDNS(t testing.TB) *pidNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for PID namespaces")
	}
	for _, tool := range []string{"unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	n, err := startPIDNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return n
}

// startPIDNS starts a namespace that lives until close is called or this
// process exits (its init sees its stdin close).
func startPIDNS() (*pidNS, error) {
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", helperBin)
	cmd.Env = append(os.Environ(), roleEnv+"="+roleInit)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start namespace: %w", err)
	}
	n := &pidNS{holder: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		n.close()
		return nil, fmt.Errorf("namespace init: %q, %v", line, err)
	}
	u := strconv.Itoa(cmd.Process.Pid)
	n.enter = []string{"nsenter", "--pid=/proc/" + u + "/ns/pid_for_children", "--mount=/proc/" + u + "/ns/mnt", "--"}
	return n, nil
}

// close ends the namespace and every process in it.
func (n *pidNS) close() {
	_ = n.stdin.Close()
	_ = n.holder.Wait()
}

// run runs a command inside the namespace and returns its combined output
// and exit code.
func (n *pidNS) run(t testing.TB, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(n.enter[0], append(n.enter[1:], args...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("%v: %v", args, err)
	}
	return string(out), 0
}

// sh runs a shell command line inside the namespace and fails the test when
// it fails.
func (n *pidNS) sh(t testing.TB, script string) string {
	t.Helper()
	out, code := n.run(t, os.Environ(), "sh", "-c", script)
	if code != 0 {
		t.Fatalf("sh -c %q: exit %d\n%s", script, code, out)
	}
	return strings.TrimSpace(out)
}

// instances returns the pids in the namespace, other than its init, whose
// program is exe.
func (n *pidNS) instances(t testing.TB, exe string) []string {
	t.Helper()
	out := n.sh(t, fmt.Sprintf(`for p in /proc/[0-9]*; do [ "$p" != /proc/1 ] && e=$(readlink "$p/exe" 2>/dev/null) && [ "$e" = %s ] && echo "${p#/proc/}"; done; true`, shellQuote(exe)))
	if out == "" {
		return nil
	}
	return strings.Fields(out)
}

// privateTempDir makes a temporary directory outside /tmp: the spec refuses
// pidfiles in directories that other users can write, so fixtures whose
// pidfile lives in the directory start from root's /run when they can.
func privateTempDir(prefix string) (string, error) {
	base := ""
	if unix.Access("/run", unix.W_OK) == nil {
		base = "/run"
	}
	return os.MkdirTemp(base, prefix)
}
