package sysv

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonctl/daemonctl/spec"
)

// attackEnv carries an attacker's plan as JSON.
const attackEnv = "DAEMONCTL_SYSV_ATTACK"

// nobodyID is the uid and gid of the attacking account.
const nobodyID = 65534

// attackPlan is what the attacker puts at Pidfile, in turn: a symlink to
// Target (a root 0600 file), a FIFO, each of Contents, and a symlink to
// Absent (a file that must never be created).
type attackPlan struct {
	Pidfile  string
	Target   string
	Absent   string
	Contents []string
}

// runAttacker replaces the pidfile, by rename so that each replacement is
// atomic, until its stdin closes.
func runAttacker() int {
	var p attackPlan
	if err := json.Unmarshal([]byte(os.Getenv(attackEnv)), &p); err != nil || len(p.Contents) == 0 {
		return 2
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	tmp := filepath.Join(filepath.Dir(p.Pidfile), ".attack")
	for i := 0; ; i++ {
		select {
		case <-done:
			return 0
		default:
		}
		_ = os.Remove(tmp)
		var err error
		switch i % 4 {
		case 0:
			err = os.Symlink(p.Target, tmp)
		case 1:
			err = unix.Mkfifo(tmp, 0o666)
		case 2:
			err = os.WriteFile(tmp, []byte(p.Contents[(i/4)%len(p.Contents)]), 0o644)
		case 3:
			err = os.Symlink(p.Absent, tmp)
		}
		if err == nil {
			_ = os.Rename(tmp, p.Pidfile)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// hostileContents are pidfile contents the service account could plant:
// the pid of an unrelated root process running the same program, init,
// and malformed pids.
func hostileContents(sentinel string) []string {
	return []string{
		"1", sentinel, sentinel + "\n", "1\n", "-1", "0", "", " " + sentinel, sentinel + " ",
		sentinel + "\n456\n", "0" + sentinel, "99999999999999999999", "-" + sentinel,
	}
}

// attackScenarios are the paths the attack tests take, all with the
// service running as nobody.
var attackScenarios = []scenario{
	{name: "dash/ssd", shell: []string{"dash"}, user: "nobody"},
	{name: "dash/portable", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
	{name: "bash/portable", shell: []string{"bash", "--posix"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
	{name: "busybox/portable", shell: []string{"busybox", "sh"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
}

// attackFixture is a script for the recorder running as nobody, a runtime
// directory that nobody owns, a root 0600 target file, and a sentinel: a
// root process running the same program that records every signal it gets.
type attackFixture struct {
	lc          lifecycle
	target      string
	absent      string
	sentinel    string // its pid in the namespace
	sentinelRec string
}

const targetData = "root's secret\n"

func newAttackFixture(t *testing.T, sc scenario) *attackFixture {
	t.Helper()
	if u, err := user.Lookup("nobody"); err != nil || u.Uid != strconv.Itoa(nobodyID) {
		t.Skipf("no nobody account with uid %d", nobodyID)
	}
	lc, _ := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
		c.StopTimeout = dur(time.Second)
	})
	// Starts that the attacker spoils give up after a second.
	lc.env = append(lc.env, "DAEMONCTL_START_WAIT=1", "DAEMONCTL_NO_LSB=1")
	secret := t.TempDir() // 0700, root's
	a := &attackFixture{
		lc:          lc,
		target:      filepath.Join(secret, "target"),
		absent:      filepath.Join(secret, "created"),
		sentinelRec: filepath.Join(lc.f.dir, "rec", "sentinel.jsonl"),
	}
	if err := os.WriteFile(a.target, []byte(targetData), 0o600); err != nil {
		t.Fatal(err)
	}
	// The runtime directory as a first start leaves it: the account's.
	piddir := filepath.Dir(lc.f.pidfile)
	if err := os.MkdirAll(piddir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(piddir, nobodyID, nobodyID); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), roleEnv+"="+roleStubborn, recordEnv+"="+a.sentinelRec, noReadyEnv+"=1")
	out, code := lc.n.run(t, env, "sh", "-c", `"$0" </dev/null >/dev/null 2>&1 & echo $!`, helperBin)
	if code != 0 {
		t.Fatalf("sentinel: exit %d: %s", code, out)
	}
	a.sentinel = strings.TrimSpace(out)
	for i := 0; len(readRecords(t, a.sentinelRec)) == 0; i++ {
		if i == 500 {
			t.Fatal("the sentinel never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return a
}

// action runs the script with one action, killing it when it runs longer
// than limit: a hang fails the test. It returns the output and exit code.
func (a *attackFixture) action(name string, limit time.Duration) (string, int) {
	t := a.lc.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := append(slices.Clone(a.lc.n.enter[1:]), append(slices.Clone(a.lc.sh), a.lc.f.script, name)...)
	cmd := exec.CommandContext(ctx, a.lc.n.enter[0], args...)
	cmd.Env = a.lc.env
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s hung: killed after %v\n%s", name, limit, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

// want runs an action and checks its exit code.
func (a *attackFixture) want(name string, code int) {
	a.lc.t.Helper()
	if out, got := a.action(name, 20*time.Second); got != code {
		a.lc.t.Fatalf("%s: exit %d, want %d\n%s", name, got, code, out)
	}
}

// check fails the test when the target changed, the absent file exists,
// the sentinel got a signal or died, or the namespace's init died.
func (a *attackFixture) check() {
	t := a.lc.t
	t.Helper()
	fi, err := os.Lstat(a.target)
	if err != nil {
		t.Fatalf("target: %v", err)
	}
	data, err := os.ReadFile(a.target)
	if err != nil || string(data) != targetData || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 || statUID(fi) != 0 {
		t.Fatalf("target changed: %q (%v), mode %v, uid %d", data, err, fi.Mode(), statUID(fi))
	}
	if _, err := os.Lstat(a.absent); !os.IsNotExist(err) {
		t.Fatalf("root created %s through a symlink: %v", a.absent, err)
	}
	if recs := readRecords(t, a.sentinelRec); len(recs) != 1 {
		t.Fatalf("the sentinel (pid %s) was signalled: %+v", a.sentinel, recs)
	}
	// Also proves the namespace's init (pid 1, the same program) lives.
	a.lc.n.sh(t, "kill -0 "+a.sentinel)
}

// TestHostilePidfile: what the service account can put at the pidfile
// path (a foreign or malformed pid, a FIFO, a symlink to a root file or to
// a file that does not exist) is never signalled, written through or
// waited on, and start replaces it.
func TestHostilePidfile(t *testing.T) {
	for _, sc := range attackScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("pids", func(t *testing.T) {
				a := newAttackFixture(t, sc)
				pf := a.lc.f.pidfile
				for _, c := range hostileContents(a.sentinel) {
					if err := os.WriteFile(pf, []byte(c), 0o644); err != nil {
						t.Fatal(err)
					}
					if err := os.Chown(pf, nobodyID, nobodyID); err != nil {
						t.Fatal(err)
					}
					a.want("status", 1)
					a.want("reload", 7)
					a.want("try-restart", 0)
					a.want("stop", 0)
					if _, err := os.Lstat(pf); !os.IsNotExist(err) {
						t.Fatalf("pidfile %q left after stop: %v", c, err)
					}
					a.check()
				}
			})
			t.Run("special", func(t *testing.T) {
				a := newAttackFixture(t, sc)
				pf := a.lc.f.pidfile
				plant := map[string]func() error{
					"fifo":     func() error { return unix.Mkfifo(pf, 0o666) },
					"symlink":  func() error { return os.Symlink(a.target, pf) },
					"dangling": func() error { return os.Symlink(a.absent, pf) },
				}
				for _, kind := range []string{"fifo", "symlink", "dangling"} {
					if err := plant[kind](); err != nil {
						t.Fatal(err)
					}
					a.want("status", 1)
					a.want("stop", 0)
					if err := plant[kind](); err != nil {
						t.Fatal(err)
					}
					a.want("start", 0)
					a.want("status", 0)
					a.want("stop", 0)
					a.want("status", 3)
					a.check()
				}
			})
		})
	}
}

// TestPidfileRace: while root runs start, status, restart and stop, an
// attacker running as the service account keeps replacing the pidfile in
// its runtime directory with a symlink to a root 0600 file, a FIFO, a
// foreign or malformed pid, or a symlink to a file that must not be
// created. Whether the actions succeed is up to the race; root must never
// write through a link, hang, or signal a process it has not proven to be
// the daemon. Each attempt is one action, in turn; a start the attacker
// spoils gives up after a second.
func TestPidfileRace(t *testing.T) {
	const attempts = 20
	for _, sc := range attackScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			a := newAttackFixture(t, sc)
			plan, err := json.Marshal(attackPlan{
				Pidfile: a.lc.f.pidfile, Target: a.target, Absent: a.absent,
				Contents: hostileContents(a.sentinel),
			})
			if err != nil {
				t.Fatal(err)
			}
			atk := exec.Command(helperBin)
			atk.Env = append(os.Environ(), roleEnv+"="+roleAttacker, attackEnv+"="+string(plan))
			atk.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyID, Gid: nobodyID}}
			stdin, err := atk.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			atk.Stderr = os.Stderr
			if err := atk.Start(); err != nil {
				t.Fatal(err)
			}
			stop := func() {
				_ = stdin.Close()
				_ = atk.Wait()
			}
			t.Cleanup(stop)
			actions := []string{"start", "status", "restart", "stop"}
			for i := 0; i < attempts; i++ {
				a.action(actions[i%len(actions)], 20*time.Second)
			}
			stop()
			if atk.ProcessState.ExitCode() != 0 {
				t.Fatalf("attacker: %v", atk.ProcessState)
			}
			a.check()
			// With the attacker gone the service still works.
			_ = os.Remove(a.lc.f.pidfile)
			a.want("start", 0)
			a.want("status", 0)
			a.want("stop", 0)
			a.check()
		})
	}
}

// TestGroupOnly: a group without a user runs the program as root with
// that group, as the systemd unit does.
func TestGroupOnly(t *testing.T) {
	g, err := user.LookupGroup("nogroup")
	if err != nil {
		t.Skip("no group nogroup")
	}
	gid, _ := strconv.Atoi(g.Gid)
	common := []string{"sh=/bin/dash", "sleep", "readlink", "head", "tr", "sed", "grep", "id", "rm", "setsid", "cat", "dd", "mkdir", "chown"}
	for _, sc := range []scenario{
		{name: "dash/ssd", shell: []string{"dash"}},
		{name: "dash/setpriv", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}},
		{name: "dash/runuser", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}, tools: append(slices.Clone(common), "runuser")},
	} {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
				c.Group = "nogroup"
			})
			if sc.tools != nil {
				lc.env = append(lc.env, "DAEMONCTL_PATH="+toolDir(t, sc.tools))
			}
			lc.do("start", 0)
			lc.waitRecords(1)
			r := readRecords(t, lc.f.records)[0]
			if r.UID != 0 || r.GID != gid {
				t.Errorf("program ran as %d:%d, want 0:%d", r.UID, r.GID, gid)
			}
			lc.do("stop", 0)
			lc.do("status", 3)
		})
	}
}
