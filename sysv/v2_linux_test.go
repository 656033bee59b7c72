package sysv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// v2Modes are the shells and tool sets the v2 behaviour tests run under:
// dash with start-stop-daemon, and dash, bash and busybox sh on the
// portable path, each with nobody as the service account.
var v2Modes = []scenario{
	{name: "dash/ssd", shell: []string{"dash"}, user: "nobody"},
	{name: "dash/portable", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
	{name: "bash/portable", shell: []string{"bash", "--posix"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
	{name: "busybox/portable", shell: []string{"busybox", "sh"}, env: []string{"DAEMONCTL_NO_SSD=1"}, user: "nobody"},
}

// v2Fixture is fixtureFor with the spec's v2 fields set after Build (the
// spec parser fills them from daemon.yaml), the script written again.
func v2Fixture(t *testing.T, sc scenario, role string, adjust func(*spec.Config, fixture), v2 func(*spec.Spec, fixture)) (lifecycle, *spec.Spec) {
	t.Helper()
	if adjust == nil {
		adjust = func(*spec.Config, fixture) {}
	}
	lc, s := fixtureFor(t, sc, role, adjust)
	v2(s, lc.f)
	writeScript(t, lc.f, s)
	return lc, s
}

// writeFile writes a file the service account may read.
func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

// TestArgsFromEnv: the words of args_from_env variables follow the args,
// split as systemd splits an unquoted $NAME (at blanks; quotes and
// backslashes unquote; nothing is expanded or globbed); an empty or unset
// variable adds nothing.
func TestArgsFromEnv(t *testing.T) {
	for _, sc := range v2Modes {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := v2Fixture(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
				c.Args = []string{"--first"}
				c.EnvironmentFile = filepath.Join(f.dir, "default")
				// As sh reads it: OPTS is -m<TAB>64 'two words' "it's" a\ b * $HOME end
				writeFile(t, c.EnvironmentFile, "OPTS=\"-m\t64  'two words' \\\"it's\\\" a\\\\ b * \\$HOME end \"\nEMPTY=\n", 0o644)
				// A glob would match these.
				writeFile(t, filepath.Join(f.dir, "aa"), "", 0o644)
			}, func(s *spec.Spec, f fixture) {
				s.ArgsFromEnv = []spec.EnvVar{{Name: "OPTS", Value: "-m 64"}, {Name: "EMPTY"}, {Name: "UNSET_OPTS"}}
			})
			lc.do("start", 0)
			lc.waitRecords(1)
			got := rawStrings(readRecords(t, lc.f.records)[0].Args)
			want := []string{"--first", "-m", "64", "two words", "it's", "a b", "*", "$HOME", "end"}
			if !slices.Equal(got, want) {
				t.Errorf("args %q, want %q", got, want)
			}
			lc.do("stop", 0)
		})
	}
}

// TestEnvWords compares the script's splitting with systemd's rules on
// values a shell's own splitting gets wrong.
func TestEnvWords(t *testing.T) {
	s := v2Cases(t)["v2-full"]
	script := string(render(t, s))
	i := strings.Index(script, "\nenv_words() (")
	j := strings.Index(script[i:], "\n)\n")
	fn := script[i : i+j+3]
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{" \t\r\n ", nil},
		{"a\rb", []string{"a", "b"}},
		{`''`, []string{""}},
		{`a''b "c d"e`, []string{"ab", "c de"}},
		{`'a\'b'`, []string{"a'b"}},
		{`x\`, []string{"x"}},
		{`\`, []string{""}},
		{`"open quote`, []string{"open quote"}},
		{`\"q\" \\ [a] $(id) ; |`, []string{`"q"`, `\`, "[a]", "$(id)", ";", "|"}},
		{"ünï\xff", []string{"ünï\xff"}},
	}
	for _, sh := range shells(t) {
		for _, tt := range tests {
			prog := fn + `eval "set -- $(env_words "$1")"; for w; do printf '%s\0' "$w"; done`
			out, err := exec.Command(sh[0], append(sh[1:], "-c", prog, "sh", tt.value)...).Output()
			if err != nil {
				t.Fatalf("%v %q: %v", sh, tt.value, err)
			}
			var got []string
			if len(out) > 0 {
				got = strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%v: words of %q = %q, want %q", sh, tt.value, got, tt.want)
			}
		}
	}
}

// runDir returns dir's name below /run, where runtime directories live;
// it skips when the test's directories are elsewhere.
func runDir(t *testing.T, dir string) string {
	t.Helper()
	rel, ok := strings.CutPrefix(dir, "/run/")
	if !ok {
		t.Skipf("%s is not below /run", dir)
	}
	return rel
}

// TestDirectories: declared directories are created before start with the
// account as owner and their mode; a symbolic link the account planted in
// a directory it owns is not followed: the start fails and the link's
// target keeps its owner and mode.
func TestDirectories(t *testing.T) {
	for _, sc := range v2Modes {
		t.Run(sc.name, func(t *testing.T) {
			var base string
			lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) {
				base = runDir(t, f.dir)
				s.Directories = []spec.Directory{
					{Kind: spec.DirRuntime, Name: base + "/state", Mode: 0o750},
					{Kind: spec.DirRuntime, Name: base + "/state/deep/er", Mode: 0o2770},
				}
			})
			lc.do("start", 0)
			for dir, mode := range map[string]os.FileMode{"state": 0o750 | os.ModeDir, "state/deep/er": 0o770 | os.ModeDir | os.ModeSetgid} {
				fi, err := os.Lstat(filepath.Join(lc.f.dir, dir))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode() != mode || statUID(fi) != nobodyID {
					t.Errorf("%s: mode %v uid %d, want %v uid %d", dir, fi.Mode(), statUID(fi), mode, nobodyID)
				}
			}
			// A parent the spec does not declare is root's, 0755.
			if fi, err := os.Lstat(filepath.Join(lc.f.dir, "state/deep")); err != nil || fi.Mode() != 0o755|os.ModeDir || statUID(fi) != 0 {
				t.Errorf("state/deep: %v, %v", fi, err)
			}
			lc.do("stop", 0)

			// The account replaces state/deep/er with a link to a root
			// directory.
			target := filepath.Join(lc.f.dir, "target")
			if err := os.Mkdir(target, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(filepath.Join(lc.f.dir, "state/deep"), nobodyID, nobodyID); err != nil {
				t.Fatal(err)
			}
			er := filepath.Join(lc.f.dir, "state/deep/er")
			lc.n.sh(t, fmt.Sprintf("setpriv --reuid=%d --regid=%d --clear-groups sh -c %s", nobodyID, nobodyID,
				shellQuote("rmdir "+er+" && ln -s "+target+" "+er)))
			out := lc.do("start", 1)
			if !strings.Contains(out, "not a directory of its own") {
				t.Errorf("start over a planted link printed %q", out)
			}
			fi, err := os.Lstat(target)
			if err != nil || fi.Mode() != 0o700|os.ModeDir || statUID(fi) != 0 {
				t.Errorf("link target changed: %v, %v", fi, err)
			}
			lc.do("status", 3)
		})
	}
}

// TestUMask: the program runs with the spec's umask.
func TestUMask(t *testing.T) {
	for _, sc := range v2Modes[:2] {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) { s.UMask = "0027" })
			lc.do("start", 0)
			lc.waitRecords(1)
			if got := readRecords(t, lc.f.records)[0].Umask; got != 0o27 {
				t.Errorf("umask %04o, want 0027", got)
			}
			lc.do("stop", 0)
		})
	}
}

// procStatus returns a field of /proc/PID/status inside the namespace.
func procStatus(t *testing.T, lc lifecycle, pid, field string) string {
	t.Helper()
	return lc.n.sh(t, fmt.Sprintf("sed -n 's/^%s:[[:space:]]*//p' /proc/%s/status", field, pid))
}

// TestCapabilities: a nobody program gets its ambient capability and the
// bounding set; without util-linux setpriv the start fails clearly.
func TestCapabilities(t *testing.T) {
	for _, sc := range v2Modes {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) {
				s.AmbientCapabilities = []string{"CAP_NET_BIND_SERVICE"}
				s.CapabilityBoundingSet = []string{"CAP_NET_BIND_SERVICE", "CAP_SYS_NICE"}
			})
			lc.do("start", 0)
			pid := lc.pid()
			if got := procStatus(t, lc, pid, "CapAmb"); got != "0000000000000400" {
				t.Errorf("CapAmb %s, want 0000000000000400 (net_bind_service)", got)
			}
			if got := procStatus(t, lc, pid, "CapBnd"); got != "0000000000800400" {
				t.Errorf("CapBnd %s, want 0000000000800400 (net_bind_service, sys_nice)", got)
			}
			if got := procStatus(t, lc, pid, "Uid"); !strings.HasPrefix(got, strconv.Itoa(nobodyID)) {
				t.Errorf("Uid %s, want nobody", got)
			}
			lc.do("stop", 0)
		})
	}
	t.Run("no setpriv", func(t *testing.T) {
		sc := scenario{name: "dash/runuser", shell: []string{"dash"}, env: []string{"DAEMONCTL_NO_SSD=1", "DAEMONCTL_NO_LSB=1"}, user: "nobody"}
		lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) {
			s.AmbientCapabilities = []string{"CAP_NET_BIND_SERVICE"}
		})
		tools := []string{"sh=/bin/dash", "sleep", "readlink", "head", "tr", "sed", "grep", "id", "rm", "setsid", "cat", "dd", "mkdir", "chown", "runuser", "setpriv=/bin/busybox"}
		lc.env = append(lc.env, "DAEMONCTL_PATH="+toolDir(t, tools))
		out := lc.do("start", 1)
		if !strings.Contains(out, "capabilities need util-linux setpriv") {
			t.Errorf("start printed %q", out)
		}
		lc.do("status", 3)
	})
}

// TestExecStartPre: the checks run as the account before start, reload
// and restart; a failing one aborts the action, prints its output and
// leaves the running program alone.
func TestExecStartPre(t *testing.T) {
	for _, sc := range v2Modes {
		t.Run(sc.name, func(t *testing.T) {
			var broken string
			lc, _ := v2Fixture(t, sc, roleRecorder, func(c *spec.Config, f fixture) { c.ReloadSignal = "HUP" }, func(s *spec.Spec, f fixture) {
				broken = filepath.Join(f.dir, "rec", "broken")
				check := fmt.Sprintf(`echo "check as $(id -u)"; if [ -e %s ]; then echo "config is broken"; exit 1; fi`, shellQuote(broken))
				s.ExecStartPre = [][]string{{"/bin/true"}, {"/bin/sh", "-c", check}}
			})
			out := lc.do("start", 0)
			if !strings.Contains(out, "check as "+strconv.Itoa(nobodyID)) {
				t.Errorf("start: %q, want the check run as nobody", out)
			}
			pid := lc.pid()
			writeFile(t, broken, "", 0o644)
			for _, action := range []string{"reload", "restart", "force-reload", "try-restart"} {
				out := lc.do(action, 1)
				if !strings.Contains(out, "config is broken") {
					t.Errorf("%s: %q, want the check's output", action, out)
				}
				if lc.pid() != pid || !slices.Equal(lc.instances(), []string{pid}) {
					t.Fatalf("%s with a failing check touched the program: pid %s (was %s), instances %v", action, lc.pid(), pid, lc.instances())
				}
			}
			if recs := readRecords(t, lc.f.records); len(recs) != 1 {
				t.Errorf("records %+v: the program got a signal", recs)
			}
			lc.do("stop", 0)
			lc.do("start", 1)
			lc.do("status", 3)
			if err := os.Remove(broken); err != nil {
				t.Fatal(err)
			}
			lc.do("start", 0)
			lc.do("reload", 0)
			lc.waitRecords(3) // two starts, one HUP
			lc.do("stop", 0)
		})
	}
}

// TestReloadNone: reload exits 3 with a message; force-reload restarts.
func TestReloadNone(t *testing.T) {
	sc := v2Modes[0]
	lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) { s.Reload = spec.ReloadNone })
	lc.do("start", 0)
	pid := lc.pid()
	if out := lc.do("reload", 3); !strings.Contains(out, "no reload") {
		t.Errorf("reload printed %q", out)
	}
	lc.do("force-reload", 0)
	if lc.pid() == pid || !slices.Equal(lc.instances(), []string{lc.pid()}) {
		t.Fatalf("force-reload: pid %s (was %s), instances %v", lc.pid(), pid, lc.instances())
	}
	for _, r := range readRecords(t, lc.f.records) {
		if r.Event == "SIGHUP" {
			t.Errorf("reload none sent HUP: %+v", r)
		}
	}
	lc.do("stop", 0)
}

// TestReloadCommand: reload and force-reload run exec_reload as the
// account, with MAINPID, and send no signal.
func TestReloadCommand(t *testing.T) {
	for _, sc := range v2Modes {
		t.Run(sc.name, func(t *testing.T) {
			var out string
			lc, _ := v2Fixture(t, sc, roleRecorder, nil, func(s *spec.Spec, f fixture) {
				out = filepath.Join(f.dir, "rec", "reloaded")
				s.Reload = spec.ReloadCommand
				s.ExecReload = []string{"/bin/sh", "-c", `echo "$(id -u) $MAINPID $DAEMONCTL_SYSV_ROLE" >>"$1"`, "reload", out}
			})
			lc.do("reload", 7)
			lc.do("start", 0)
			pid := lc.pid()
			lc.do("reload", 0)
			lc.do("force-reload", 0)
			data, err := os.ReadFile(out)
			line := fmt.Sprintf("%d %s %s\n", nobodyID, pid, roleRecorder)
			if err != nil || string(data) != line+line {
				t.Errorf("reload command wrote %q, %v; want %q twice", data, err, line)
			}
			if lc.pid() != pid || len(readRecords(t, lc.f.records)) != 1 {
				t.Errorf("reload touched the program: pid %s (was %s), records %+v", lc.pid(), pid, readRecords(t, lc.f.records))
			}
			lc.do("stop", 0)
		})
	}
}

// TestSendSIGKILLOff: a program that ignores TERM outlives stop, which
// fails; it is never sent KILL.
func TestSendSIGKILLOff(t *testing.T) {
	for _, sc := range v2Modes[:2] {
		t.Run(sc.name, func(t *testing.T) {
			lc, _ := v2Fixture(t, sc, roleStubborn, nil, func(s *spec.Spec, f fixture) {
				s.SendSIGKILL = false
				s.StopTimeout = time.Second
			})
			lc.do("start", 0)
			pid := lc.pid()
			if out := lc.do("stop", 1); !strings.Contains(out, "send_sigkill is off") {
				t.Errorf("stop printed %q", out)
			}
			lc.do("status", 0)
			if !slices.Equal(lc.instances(), []string{pid}) {
				t.Fatalf("instances %v, want %s still running", lc.instances(), pid)
			}
			lc.waitRecords(2)
			if recs := readRecords(t, lc.f.records); recs[1].Event != "SIGTERM" {
				t.Errorf("records %+v, want the ignored TERM", recs)
			}
			lc.n.sh(t, "kill -KILL "+pid)
			lc.waitGone(pid)
		})
	}
}

// TestKillMode: with control-group and mixed, stop ends a child the
// program forked into its process group; with process (as before v2) the
// child outlives it.
func TestKillMode(t *testing.T) {
	for _, mode := range []spec.KillMode{spec.KillControlGroup, spec.KillMixed, spec.KillProcess} {
		for _, sc := range []scenario{v2Modes[0], v2Modes[3]} {
			t.Run(string(mode)+"/"+sc.name, func(t *testing.T) {
				var childFile string
				lc, _ := v2Fixture(t, sc, roleRecorder, func(c *spec.Config, f fixture) {
					childFile = filepath.Join(f.dir, "rec", "child")
					prog := filepath.Join(f.dir, "prog.sh")
					script := "#!/bin/sh\nsleep 1000 &\necho $! >" + childFile + "\ntrap 'exit 0' TERM\nwhile :; do sleep 1; done\n"
					writeFile(t, prog, script, 0o755)
					c.Exec = prog
				}, func(s *spec.Spec, f fixture) { s.KillMode = mode })
				lc.do("start", 0)
				var child string
				for i := 0; i < 500 && child == ""; i++ {
					data, _ := os.ReadFile(childFile)
					if strings.HasSuffix(string(data), "\n") {
						child = strings.TrimSpace(string(data))
					} else {
						time.Sleep(10 * time.Millisecond)
					}
				}
				if child == "" {
					t.Fatal("the program never wrote its child's pid")
				}
				lc.do("stop", 0)
				lc.do("status", 3)
				// Gone (or a zombie) within 10 seconds; with process, at once.
				tries := 100
				if mode == spec.KillProcess {
					tries = 1 // nothing signalled the child: it must be there now
				}
				wait := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do grep -q '^State:[[:space:]]*[^Z]' /proc/%s/status 2>/dev/null || exit 0; sleep 0.1; i=$((i+1)); done; exit 1`, tries, child)
				_, code := lc.n.run(t, os.Environ(), "sh", "-c", wait)
				gone := code == 0
				if want := mode != spec.KillProcess; gone != want {
					t.Errorf("kill_mode %s: child %s gone=%v, want %v", mode, child, gone, want)
				}
				if !gone {
					lc.n.sh(t, "kill -KILL "+child)
				}
			})
		}
	}
}

// TestStopTimeoutInfinite: stop waits for a program that ignores TERM past
// any timeout (stop_timeout is 1s underneath) and never sends KILL; it
// returns once the program is gone.
func TestStopTimeoutInfinite(t *testing.T) {
	sc := v2Modes[1]
	lc, _ := v2Fixture(t, sc, roleStubborn, nil, func(s *spec.Spec, f fixture) {
		s.StopTimeoutInfinite = true
		s.StopTimeout = time.Second
	})
	lc.do("start", 0)
	pid := lc.pid()
	cmd := exec.Command(lc.n.enter[0], append(append(lc.n.enter[1:], lc.sh...), lc.f.script, "stop")...)
	cmd.Env = lc.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lc.waitRecords(2)           // the ignored TERM
	time.Sleep(3 * time.Second) // three times what a KILL would have waited for
	if !slices.Equal(lc.instances(), []string{pid}) {
		t.Fatalf("instances %v: the program did not outlive the 1s timeout", lc.instances())
	}
	lc.n.sh(t, "kill -KILL "+pid)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out.String())
	}
	lc.do("status", 3)
}
