package sysv

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonctl/daemonctl/spec"
)

// scenario is one way of running the generated script: a shell, a tool set
// and an account.
type scenario struct {
	name  string
	shell []string // command line of the shell that runs the script
	env   []string // extra environment for the script
	user  string   // service account; empty runs as root
	tools []string // when set, DAEMONCTL_PATH holds only these tools
}

// toolDir makes a directory holding only the named tools, each a symlink to
// the host's program (or "name=target" for another target). The service
// account must reach it.
func toolDir(t *testing.T, tools []string) string {
	t.Helper()
	dir := filepath.Join(publicDir(t), "bin")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools {
		name, target, ok := strings.Cut(tool, "=")
		if !ok {
			p, err := exec.LookPath(name)
			if err != nil {
				t.Skipf("%s not installed", name)
			}
			target = p
		}
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// publicDir makes a temporary directory that the service account can read,
// with a world-writable "rec" directory for records.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := privateTempDir("daemonctl-sysv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rec"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "rec"), 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fixture is a generated script for the recorder with its files.
type fixture struct {
	dir, script, pidfile, records string
}

func newFixture(t *testing.T, name, role, usr string, args []string) fixture {
	t.Helper()
	dir := publicDir(t)
	f := fixture{
		dir:     dir,
		script:  filepath.Join(dir, "init.d", name),
		pidfile: filepath.Join(dir, "run", name, name+".pid"),
		records: filepath.Join(dir, "rec", name+".jsonl"),
	}
	envFile := filepath.Join(dir, "default")
	if err := os.WriteFile(envFile, []byte("FROM_FILE='from the file'\nOVERRIDDEN=file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := spec.Config{
		Name: name, Exec: helperBin, Args: args, PIDFile: f.pidfile,
		User: usr, EnvironmentFile: envFile, WorkingDirectory: dir,
		StopTimeout: dur(time.Second),
		Environment: []spec.EnvVar{
			{Name: roleEnv, Value: role}, {Name: recordEnv, Value: f.records},
			{Name: "OVERRIDDEN", Value: "spec"}, {Name: "SPACED", Value: " a  b "},
		},
		Limits: []spec.Limit{{Name: "nofile", Value: "1000:2000"}, {Name: "core", Value: "1048576:infinity"}},
	}
	if usr != "" {
		c.Group = groupOf(t, usr)
	}
	s := build(t, c)
	if err := os.MkdirAll(filepath.Dir(f.script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.script, render(t, s), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func groupOf(t *testing.T, name string) string {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Skipf("no account %s: %v", name, err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skipf("no primary group for %s: %v", name, err)
	}
	return g.Name
}

func scenarios(t *testing.T) []scenario {
	busybox := []string{"sh=/bin/busybox", "sleep=/bin/busybox", "readlink=/bin/busybox", "head=/bin/busybox",
		"tr=/bin/busybox", "sed=/bin/busybox", "grep=/bin/busybox", "id=/bin/busybox",
		"rm=/bin/busybox", "setsid=/bin/busybox", "cat=/bin/busybox", "start-stop-daemon=/bin/busybox",
		"setpriv=/bin/busybox", "mkdir=/bin/busybox", "chown=/bin/busybox", "chmod=/bin/busybox", "dd=/bin/busybox"}
	common := []string{"sh=/bin/dash", "sleep", "readlink", "head", "tr", "sed", "grep", "id", "rm", "setsid", "cat", "dd", "mkdir", "chown"}
	noSSD := []string{"DAEMONCTL_NO_SSD=1", "DAEMONCTL_NO_LSB=1"}
	return []scenario{
		{name: "dash/ssd", shell: []string{"dash"}, user: "nobody"},
		{name: "dash/portable", shell: []string{"dash"}, env: noSSD, user: "nobody"},
		{name: "busybox/ssd", shell: []string{"busybox", "sh"}, user: "nobody"},
		{name: "busybox/portable", shell: []string{"busybox", "sh"}, env: noSSD, user: "nobody"},
		{name: "bash/portable", shell: []string{"bash", "--posix"}, env: noSSD, user: "nobody"},
		{name: "dash/ssd/root", shell: []string{"dash"}},
		// Only busybox applets: its start-stop-daemon must be ignored and
		// its setpriv cannot switch users, so the service runs as root.
		{name: "busybox-only/root", shell: []string{"busybox", "sh"}, env: []string{"DAEMONCTL_NO_LSB=1"}, tools: busybox},
		// No setpriv: runuser, then su.
		{name: "dash/runuser", shell: []string{"dash"}, env: noSSD, user: "nobody", tools: append(slices.Clone(common), "runuser")},
		{name: "dash/su", shell: []string{"dash"}, env: noSSD, user: "nobody", tools: append(slices.Clone(common), "su")},
	}
}

// TestLifecycle runs the generated script against real processes in a
// private PID namespace, for every scenario.
func TestLifecycle(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := exec.LookPath(sc.shell[0]); err != nil {
				t.Skipf("%s not installed", sc.shell[0])
			}
			env := append(os.Environ(), sc.env...)
			if sc.tools != nil {
				env = append(env, "DAEMONCTL_PATH="+toolDir(t, sc.tools))
			}
			args := []string{"--listen", "127.0.0.1:0", "two  words", "it's", `$HOME`, ""}
			f := newFixture(t, "rec", roleRecorder, sc.user, args)
			n := newPIDNS(t)
			lc := lifecycle{t: t, n: n, f: f, sh: sc.shell, env: env}
			lc.all(sc, args)
		})
	}
}

type lifecycle struct {
	t   *testing.T
	n   *pidNS
	f   fixture
	sh  []string
	env []string
}

// do runs the script with one action and checks the exit code.
func (lc lifecycle) do(action string, want int) string {
	lc.t.Helper()
	start := time.Now()
	out, code := lc.n.run(lc.t, lc.env, append(slices.Clone(lc.sh), lc.f.script, action)...)
	if os.Getenv("SYSV_TIMING") != "" {
		lc.t.Logf("%s: %v", action, time.Since(start))
	}
	if code != want {
		lc.t.Fatalf("%s: exit %d, want %d\n%s", action, code, want, out)
	}
	return out
}

func (lc lifecycle) pid() string {
	lc.t.Helper()
	data, err := os.ReadFile(lc.f.pidfile)
	if err != nil {
		lc.t.Fatalf("pidfile: %v", err)
	}
	return strings.TrimSpace(string(data))
}

func (lc lifecycle) instances() []string { return lc.n.instances(lc.t, helperBin) }

func (lc lifecycle) all(sc scenario, args []string) {
	t := lc.t
	lc.do("status", 3)
	lc.do("stop", 0)

	// start → running, with the spec's settings.
	lc.do("start", 0)
	lc.do("status", 0)
	pid := lc.pid()
	if got := lc.instances(); !slices.Equal(got, []string{pid}) {
		t.Fatalf("instances %v, want just the pidfile's %s", got, pid)
	}
	lc.waitRecords(1) // the program records itself asynchronously
	recs := readRecords(t, lc.f.records)
	if len(recs) != 1 || recs[0].Event != "start" {
		t.Fatalf("records %+v, want one start", recs)
	}
	r := recs[0]
	if !slices.Equal(rawStrings(r.Args), args) {
		t.Errorf("args %q, want %q", r.Args, args)
	}
	if strconv.Itoa(r.Pid) != pid {
		t.Errorf("program pid %d, pidfile %s", r.Pid, pid)
	}
	for k, v := range map[string]string{"FROM_FILE": "from the file", "OVERRIDDEN": "file", "SPACED": " a  b "} {
		if r.Env[k] != v {
			t.Errorf("env %s=%q, want %q", k, r.Env[k], v)
		}
	}
	wantUID := 0
	if sc.user != "" {
		u, _ := user.Lookup(sc.user)
		wantUID, _ = strconv.Atoi(u.Uid)
	}
	if r.UID != wantUID {
		t.Errorf("uid %d, want %d", r.UID, wantUID)
	}
	// The Go runtime raises its own soft nofile limit, so only the hard
	// one tells; core is in bytes here and in 512-byte blocks in the script.
	if r.Cwd != lc.f.dir || r.Umask != 0o22 || r.Nofile[1] != 2000 || r.Core != [2]uint64{1048576, unix.RLIM_INFINITY} {
		t.Errorf("cwd %s umask %o nofile %v core %v, want %s 022 [_ 2000] [1048576 inf]", r.Cwd, r.Umask, r.Nofile, r.Core, lc.f.dir)
	}
	// A session of its own, led by a process inside the namespace (getsid
	// gives 0 for a leader outside, such as the caller's session).
	if r.Sid == 0 {
		t.Errorf("the program stayed in the caller's session")
	}
	st, err := os.Stat(filepath.Dir(lc.f.pidfile))
	if err != nil {
		t.Fatal(err)
	}
	if sc.user != "" && int(statUID(st)) != wantUID {
		t.Errorf("pidfile directory owned by %d, want %d", statUID(st), wantUID)
	}

	// start again → 0, still one instance.
	lc.do("start", 0)
	if got := lc.instances(); !slices.Equal(got, []string{pid}) {
		t.Fatalf("after a second start: instances %v, want %s", got, pid)
	}
	if n := len(readRecords(t, lc.f.records)); n != 1 {
		t.Fatalf("second start ran the program again (%d records)", n)
	}

	// reload → the program gets the reload signal, same pid.
	lc.do("reload", 0)
	lc.waitRecords(2) // two quick HUPs could merge into one
	lc.do("force-reload", 0)
	lc.waitRecords(3)
	recs = readRecords(t, lc.f.records)
	if recs[1].Event != "SIGHUP" || recs[2].Event != "SIGHUP" || lc.pid() != pid {
		t.Errorf("after reload and force-reload: %+v, pid %s (was %s)", recs[1:], lc.pid(), pid)
	}

	// restart and try-restart → a new instance each.
	lc.do("restart", 0)
	pid2 := lc.pid()
	if pid2 == pid || !slices.Equal(lc.instances(), []string{pid2}) {
		t.Fatalf("restart: pid %s (was %s), instances %v", pid2, pid, lc.instances())
	}
	lc.do("try-restart", 0)
	pid3 := lc.pid()
	if pid3 == pid2 || !slices.Equal(lc.instances(), []string{pid3}) {
		t.Fatalf("try-restart: pid %s (was %s), instances %v", pid3, pid2, lc.instances())
	}
	lc.do("condrestart", 0)
	if !slices.Equal(lc.instances(), []string{lc.pid()}) {
		t.Fatalf("condrestart: instances %v, pidfile %s", lc.instances(), lc.pid())
	}

	// stop → 3; stop again → 0; a stopped service stays stopped.
	lc.do("stop", 0)
	lc.do("status", 3)
	if got := lc.instances(); len(got) != 0 {
		t.Fatalf("after stop: instances %v", got)
	}
	if _, err := os.Stat(lc.f.pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after stop: %v", err)
	}
	lc.do("stop", 0)
	lc.do("try-restart", 0)
	lc.do("status", 3)
	lc.do("reload", 7)
	lc.do("force-reload", 7)

	// kill -9 → 1 (stale pidfile); start over it works.
	lc.do("start", 0)
	pid = lc.pid()
	lc.n.sh(t, "kill -9 "+pid)
	lc.waitGone(pid)
	lc.do("status", 1)
	lc.do("start", 0)
	lc.do("status", 0)
	if lc.pid() == pid || !slices.Equal(lc.instances(), []string{lc.pid()}) {
		t.Fatalf("start over a stale pidfile: pid %s (dead %s), instances %v", lc.pid(), pid, lc.instances())
	}
	lc.do("stop", 0)

	// A pidfile naming an unrelated live process: not ours.
	other := lc.n.sh(t, "sleep 1000 >/dev/null 2>&1 & echo $!")
	if err := os.WriteFile(lc.f.pidfile, []byte(other+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lc.do("status", 1)
	lc.do("reload", 7)
	lc.do("stop", 0)
	lc.n.sh(t, "kill -0 "+other) // still alive: never signalled
	if err := os.WriteFile(lc.f.pidfile, []byte(other+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lc.do("start", 0)
	if lc.pid() == other || !slices.Equal(lc.instances(), []string{lc.pid()}) {
		t.Fatalf("start over a reused pid: pidfile %s (other %s), instances %v", lc.pid(), other, lc.instances())
	}
	lc.n.sh(t, "kill -0 "+other)
	lc.do("stop", 0)

	// Usage errors.
	out := lc.do("frobnicate", 2)
	if !strings.Contains(out, "Usage:") {
		t.Errorf("unknown action printed %q, want a usage line", out)
	}
	out, code := lc.n.run(t, lc.env, append(slices.Clone(lc.sh), lc.f.script)...)
	if code != 2 || !strings.Contains(out, "Usage:") {
		t.Errorf("no action: exit %d, %q; want 2 and usage", code, out)
	}
	out, code = lc.n.run(t, lc.env, append(slices.Clone(lc.sh), lc.f.script, "start", "extra")...)
	if code != 2 || !strings.Contains(out, "Usage:") {
		t.Errorf("excess argument: exit %d, %q; want 2 and usage", code, out)
	}
}

func rawStrings(raw [][]byte) []string {
	out := make([]string, 0, len(raw))
	for _, b := range raw {
		out = append(out, string(b))
	}
	return out
}

// waitRecords waits until the record file has n lines (signals arrive
// asynchronously).
func (lc lifecycle) waitRecords(n int) {
	lc.t.Helper()
	for i := 0; i < 500; i++ {
		if len(readRecords(lc.t, lc.f.records)) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	lc.t.Fatalf("records never reached %d: %+v", n, readRecords(lc.t, lc.f.records))
}

// waitGone waits until pid has left the namespace (reaped by its init).
func (lc lifecycle) waitGone(pid string) {
	lc.t.Helper()
	for i := 0; i < 500; i++ {
		if !slices.Contains(lc.instances(), pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	lc.t.Fatalf("pid %s never went away", pid)
}

// TestStopTimeout: a program that ignores TERM is killed after stop_timeout.
func TestStopTimeout(t *testing.T) {
	for _, sc := range []scenario{
		{name: "dash/ssd", shell: []string{"dash"}},
		{name: "dash/portable", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}},
		{name: "busybox/portable", shell: []string{"busybox", "sh"}, env: []string{"DAEMONCTL_NO_SSD=1"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if _, err := exec.LookPath(sc.shell[0]); err != nil {
				t.Skipf("%s not installed", sc.shell[0])
			}
			f := newFixture(t, "stub", roleStubborn, "", nil)
			n := newPIDNS(t)
			lc := lifecycle{t: t, n: n, f: f, sh: sc.shell, env: append(os.Environ(), sc.env...)}
			lc.do("start", 0)
			pid := lc.pid()
			lc.do("stop", 0)
			if got := lc.instances(); len(got) != 0 {
				t.Fatalf("stubborn program survived stop: %v", got)
			}
			recs := readRecords(t, f.records)
			if len(recs) < 2 || recs[1].Event != "SIGTERM" || strconv.Itoa(recs[0].Pid) != pid {
				t.Fatalf("records %+v: want start then an ignored SIGTERM before the kill", recs)
			}
			lc.do("status", 3)
		})
	}
}
