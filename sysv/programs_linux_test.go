package sysv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// programModes are the tool sets the program-kind tests run under.
var programModes = []scenario{
	{name: "dash/ssd", shell: []string{"dash"}, user: "nobody"},
	{name: "dash/portable", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
	{name: "busybox/portable", shell: []string{"busybox", "sh"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
}

// writeScript renders s to f.script.
func writeScript(t *testing.T, f fixture, s *spec.Spec) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.script, render(t, s), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fixtureFor makes a fixture whose spec the caller adjusts.
func fixtureFor(t *testing.T, sc scenario, role string, adjust func(*spec.Config, fixture)) (lifecycle, *spec.Spec) {
	t.Helper()
	if _, err := exec.LookPath(sc.shell[0]); err != nil {
		t.Skipf("%s not installed", sc.shell[0])
	}
	dir := publicDir(t)
	f := fixture{
		dir:     dir,
		script:  filepath.Join(dir, "init.d", "prog"),
		pidfile: filepath.Join(dir, "run", "prog", "prog.pid"),
		records: filepath.Join(dir, "rec", "prog.jsonl"),
	}
	c := spec.Config{
		Name: "prog", Exec: helperBin, PIDFile: f.pidfile, StopTimeout: dur(2 * time.Second),
		EnvironmentFile: filepath.Join(dir, "absent"), User: sc.user,
		Environment: []spec.EnvVar{{Name: roleEnv, Value: role}, {Name: recordEnv, Value: f.records}},
	}
	if sc.user != "" {
		c.Group = groupOf(t, sc.user)
	}
	adjust(&c, f)
	s := build(t, c)
	writeScript(t, f, s)
	n := newPIDNS(t)
	return lifecycle{t: t, n: n, f: f, sh: sc.shell, env: append(os.Environ(), sc.env...)}, s
}

// TestForking: type forking uses the pidfile the program writes.
func TestForking(t *testing.T) {
	for _, sc := range programModes {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := fixtureFor(t, sc, roleForker, func(c *spec.Config, f fixture) {
				c.Type = "forking"
				c.Args = []string{"fork", "me"}
				c.Environment = append(c.Environment, spec.EnvVar{Name: pidfileEnv, Value: f.pidfile})
			})
			lc.do("status", 3)
			lc.do("start", 0)
			lc.do("status", 0)
			pid := lc.pid()
			if got := lc.instances(); !slices.Equal(got, []string{pid}) {
				t.Fatalf("instances %v, want only the forked %s (the parent exits)", got, pid)
			}
			lc.waitRecords(1)
			r := readRecords(t, lc.f.records)[0]
			if strconv.Itoa(r.Pid) != pid || !slices.Equal(rawStrings(r.Args), []string{"fork", "me"}) {
				t.Errorf("record %+v, pidfile %s", r, pid)
			}
			if fi, err := os.Stat(lc.f.pidfile); err != nil || statUID(fi) == 0 {
				t.Errorf("pidfile should be the program's own (written as %s): %v", sc.user, err)
			}
			lc.do("start", 0)
			if got := lc.instances(); !slices.Equal(got, []string{pid}) {
				t.Fatalf("second start: instances %v", got)
			}
			lc.do("restart", 0)
			if lc.pid() == pid {
				t.Errorf("restart kept pid %s", pid)
			}
			lc.do("stop", 0)
			lc.do("status", 3)
			if got := lc.instances(); len(got) != 0 {
				t.Fatalf("after stop: %v", got)
			}
		})
	}
}

// TestUpgradedBinary: after a package upgrade replaced the program file,
// /proc/PID/exe ends in " (deleted)"; the old process still counts as ours.
func TestUpgradedBinary(t *testing.T) {
	for _, sc := range programModes {
		t.Run(sc.name, func(t *testing.T) {
			var prog string
			lc, _ := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
				prog = filepath.Join(f.dir, "prog")
				copyFile(t, helperBin, prog)
				c.Exec = prog
			})
			lc.do("start", 0)
			pid := lc.pid()
			if err := os.Remove(prog); err != nil {
				t.Fatal(err)
			}
			copyFile(t, helperBin, prog)
			if exe := lc.n.sh(t, "readlink /proc/"+pid+"/exe"); exe != prog+" (deleted)" {
				t.Fatalf("exe %q: want the deleted marker", exe)
			}
			lc.do("status", 0)
			lc.do("start", 0)
			lc.do("stop", 0)
			lc.do("status", 3)
			if got := lc.n.instances(t, prog+" (deleted)"); len(got) != 0 {
				t.Fatalf("old program survived stop: %v", got)
			}
		})
	}
}

// TestScriptProgram: a #! script as exec counts as ours through its command
// line (its /proc/PID/exe is the interpreter).
func TestScriptProgram(t *testing.T) {
	for _, sc := range programModes {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
				prog := filepath.Join(f.dir, "prog.sh")
				script := "#!/bin/sh\ntrap 'exit 0' TERM\nwhile :; do sleep 1; done\n"
				if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
				c.Exec = prog
			})
			lc.do("start", 0)
			lc.do("status", 0)
			lc.do("start", 0)
			lc.do("stop", 0)
			lc.do("status", 3)
		})
	}
}

// TestNoReload: without a reload signal, reload is not implemented (3) and
// force-reload restarts.
func TestNoReload(t *testing.T) {
	sc := scenario{name: "dash/ssd", shell: []string{"dash"}}
	lc, s := fixtureFor(t, sc, roleRecorder, func(*spec.Config, fixture) {})
	s.ReloadSignal = ""
	writeScript(t, lc.f, s)
	lc.do("start", 0)
	pid := lc.pid()
	lc.do("reload", 3)
	lc.do("force-reload", 0)
	if lc.pid() == pid || !slices.Equal(lc.instances(), []string{lc.pid()}) {
		t.Fatalf("force-reload without a reload signal: pid %s (was %s), instances %v", lc.pid(), pid, lc.instances())
	}
	lc.do("stop", 0)
	lc.do("force-reload", 7)
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestStartFailures: a failed start exits non-zero with the LSB code and
// leaves no pidfile and no process.
func TestStartFailures(t *testing.T) {
	for _, sc := range programModes {
		t.Run(sc.name, func(t *testing.T) {
			lc, s := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) { c.Exec = "/bin/false" })
			lc.do("start", 1)
			lc.do("status", 3)

			s.Exec = filepath.Join(lc.f.dir, "not-installed")
			writeScript(t, lc.f, s)
			lc.do("start", 5)
			lc.do("status", 3)

			s.Exec = helperBin
			s.User, s.Group = "daemonctl-no-such-user", "nogroup"
			writeScript(t, lc.f, s)
			lc.do("start", 6)
			lc.do("status", 3)
			if got := lc.instances(); len(got) != 0 {
				t.Fatalf("left running: %v", got)
			}
		})
	}
}

// TestNotify: with start-stop-daemon, type notify waits for READY=1 and a
// program that never sends it fails the start and is stopped; the portable
// path cannot listen and starts it like simple.
func TestNotify(t *testing.T) {
	ssd := scenario{name: "dash/ssd", shell: []string{"dash"}, user: "nobody"}
	t.Run("ready", func(t *testing.T) {
		lc, _ := fixtureFor(t, ssd, roleRecorder, func(c *spec.Config, f fixture) { c.Type = "notify" })
		lc.do("start", 0)
		recs := readRecords(t, lc.f.records) // no waiting: start waited for readiness
		if len(recs) != 1 || recs[0].Env["NOTIFY_SOCKET"] == "" {
			t.Fatalf("records right after start: %+v; want the start record, made with NOTIFY_SOCKET set", recs)
		}
		lc.do("status", 0)
		lc.do("stop", 0)
	})
	t.Run("never ready", func(t *testing.T) {
		lc, _ := fixtureFor(t, ssd, roleRecorder, func(c *spec.Config, f fixture) {
			c.Type = "notify"
			c.Environment = append(c.Environment, spec.EnvVar{Name: noReadyEnv, Value: "1"})
		})
		lc.env = append(lc.env, "DAEMONCTL_START_WAIT=1")
		lc.do("start", 1)
		lc.waitRecords(2) // the start, then the TERM that abandoned it
		if recs := readRecords(t, lc.f.records); recs[1].Event != "SIGTERM" {
			t.Errorf("records %+v: want the unready program terminated", recs)
		}
		lc.do("status", 3)
	})
	t.Run("portable", func(t *testing.T) {
		sc := scenario{name: "dash/portable", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"}
		lc, _ := fixtureFor(t, sc, roleRecorder, func(c *spec.Config, f fixture) { c.Type = "notify" })
		lc.do("start", 0)
		lc.waitRecords(1)
		if env := readRecords(t, lc.f.records)[0].Env; env["NOTIFY_SOCKET"] != "" {
			t.Errorf("portable start set NOTIFY_SOCKET=%s", env["NOTIFY_SOCKET"])
		}
		lc.do("stop", 0)
	})
}
