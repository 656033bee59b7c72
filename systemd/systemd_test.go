package systemd

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/daemonctl/daemonctl/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCases are the template variants; each is a daemon.yaml.
var goldenCases = []struct{ name, yaml string }{
	{"simple-minimal", `
name: mini
exec: /usr/sbin/minid
`},
	{"exec-off", `
name: plain
exec: /usr/bin/plain
type: exec
hardening: off
restart: always
restart_sec: 0s
stop_timeout: 90s
after: []
wants: []
`},
	{"notify-echod", "file:../examples/echod/daemon.yaml"},
	{"notify-user-default", `
name: echod
description: echo daemon at 100% (default hardening)
exec: /usr/bin/echod
args: ["--listen", "127.0.0.1:7007", "--log", "/var/log/echod/echod.log"]
type: notify
user: echod
watchdog_sec: 1m30s
hardening: default
`},
	{"notify-root-strict", `
name: rootd
exec: /usr/bin/rootd
type: notify
hardening: strict
`},
	{"forking-varrun", `
name: forkd
description: classic forking daemon
exec: /usr/sbin/forkd
args: ["-d"]
type: forking
pidfile: /var/run/forkd/forkd.pid
user: forkd
group: daemon
reload_signal: USR1
stop_timeout: 1500ms
requires: [remote-fs.target]
after: [network-online.target, remote-fs.target]
`},
	{"forking-pidfile-outside-run", `
name: legacyd
exec: /opt/legacy/bin/legacyd
type: forking
pidfile: /var/lib/legacyd/legacyd.pid
working_directory: /var/lib/legacyd
hardening: strict
user: legacy
`},
	{"listen-socket", `
name: sockd
exec: /usr/bin/sockd
type: notify
user: sockd
listen: ["tcp:127.0.0.1:7007", "tcp:[::1]:7007", "tcp::8080", "unix:/run/sockd/sockd.sock"]
hardening: strict
`},
	{"limits", `
name: limitd
exec: /usr/bin/limitd
limits:
  nofile: 1024:65536
  core: infinity
  nproc: 512
  memlock: 0:infinity
`},
	{"environment", `
name: envd
exec: /usr/bin/envd
environment_file: /etc/envd/envd.env
environment:
  PLAIN: value
  SPACES: "two words"
  QUOTES: "say \"hi\" it's"
  DOLLAR: "$HOME/${X}"
  PERCENT: "100% %n"
  BACKSLASH: "a\\b\\"
  NEWLINE: "line1\nline2\ttab"
  EMPTY: ""
`},
	{"odd-args", `
name: oddd
exec: /usr/bin/oddd
args:
  - ""
  - "two words"
  - "say \"hi\""
  - "it's"
  - "$HOME"
  - "${HOME}"
  - "$$"
  - "100%"
  - "%n"
  - "back\\slash\\"
  - ";"
  - "\\;"
  - "a;b"
  - "tab\there"
  - "new\nline"
  - "bell\a\u007f"
  - "caf\u00e9 \u2028"
  - "#not-a-comment"
  - "*?[]{}()<>|&!~\x60"
hardening: off
`},
	{"home-and-tmp", `
name: homed
exec: /home/app/bin/homed
working_directory: /tmp/homed
hardening: strict
user: app
`},
}

// buildSpec parses a golden case's YAML (or loads "file:PATH").
func buildSpec(t testing.TB, src string) *spec.Spec {
	t.Helper()
	if path, ok := strings.CutPrefix(src, "file:"); ok {
		s, err := spec.Load(path)
		if err != nil {
			t.Fatalf("load %s: %v", path, err)
		}
		return s
	}
	cfg, err := spec.Parse("daemon.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s, err := cfg.Build()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return s
}

func newGenerator(t testing.TB) *Generator {
	t.Helper()
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGolden(t *testing.T) {
	g := newGenerator(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			s := buildSpec(t, tc.yaml)
			files, err := g.Files(s)
			if err != nil {
				t.Fatal(err)
			}
			wantNames := []string{s.Name + ".service"}
			if len(s.Listen) > 0 {
				wantNames = append(wantNames, s.Name+".socket")
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
				if f.Mode != 0o644 {
					t.Errorf("%s: mode %v, want 0644", f.Name, f.Mode)
				}
				golden := filepath.Join("testdata", "golden", tc.name+filepath.Ext(f.Name))
				if *update {
					if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./systemd -update to create it)", err)
				}
				if !bytes.Equal(f.Data, want) {
					t.Errorf("%s differs from %s (go test ./systemd -update rewrites it):\n%s", f.Name, golden, f.Data)
				}
			}
			if !slices.Equal(names, wantNames) {
				t.Errorf("files %q, want %q", names, wantNames)
			}
		})
	}
}

// options reads a unit with go-systemd's parser into section.name → values.
func options(t testing.TB, data []byte) map[string][]string {
	t.Helper()
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("deserialize: %v\n%s", err, data)
	}
	m := map[string][]string{}
	for _, o := range opts {
		k := o.Section + "." + o.Name
		m[k] = append(m[k], o.Value)
	}
	return m
}

// checkReadsBack asserts that the service unit hands systemd exactly the
// spec's argv, environment and description.
func checkReadsBack(t testing.TB, s *spec.Spec, service []byte) {
	t.Helper()
	if !utf8.Valid(service) {
		t.Fatalf("unit is not valid UTF-8")
	}
	for i, line := range strings.Split(string(service), "\n") {
		if strings.ContainsFunc(line, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("line %d has a control character: %q", i+1, line)
		}
	}
	ctx := readContext(s)
	m := options(t, service)
	if len(m["Service.ExecStart"]) != 1 {
		t.Fatalf("want one ExecStart, got %q", m["Service.ExecStart"])
	}
	argv, err := ctx.parseExec(m["Service.ExecStart"][0])
	if err != nil {
		t.Fatalf("ExecStart=%s: %v", m["Service.ExecStart"][0], err)
	}
	want := []string{s.Exec}
	for _, a := range s.Args {
		want = append(want, ctx.instanceOf(s, a))
	}
	for _, e := range s.ArgsFromEnv {
		want = append(want, strings.Fields(e.Value)...)
	}
	if !slices.Equal(argv, want) {
		t.Fatalf("ExecStart reads back as %q, want %q", argv, want)
	}
	var env []string
	for _, v := range m["Service.Environment"] {
		words, err := ctx.parseEnvironment(v)
		if err != nil {
			t.Fatalf("Environment=%s: %v", v, err)
		}
		env = append(env, words...)
	}
	var wantEnv []string
	for _, e := range s.Environment {
		wantEnv = append(wantEnv, e.Name+"="+ctx.instanceOf(s, e.Value))
	}
	if !slices.Equal(env, wantEnv) {
		t.Fatalf("Environment reads back as %q, want %q", env, wantEnv)
	}
	desc, err := ctx.expandPercent(strings.Join(m["Unit.Description"], ""))
	if want := ctx.instanceOf(s, s.Description); err != nil || desc != want {
		t.Fatalf("Description reads back as %q (%v), want %q", desc, err, want)
	}
}

// testInstance is the instance name the tests read template units with:
// %i gives it as is, %I with "-" turned into "/".
const testInstance = "a-b"

// readContext is how the unit of s is read back: its args_from_env
// variables at their defaults, and testInstance for a template.
func readContext(s *spec.Spec) unitContext {
	c := unitContext{vars: map[string]string{}}
	for _, e := range s.ArgsFromEnv {
		c.vars[e.Name] = e.Value
	}
	if s.IsTemplate() {
		c.instance = testInstance
	}
	return c
}

// instanceOf is what systemd makes of a spec value v of s: in a template
// every %i and %I is the instance (spec.HasInstanceSpecifier), any other
// "%" is itself; elsewhere v is unchanged.
func (c unitContext) instanceOf(s *spec.Spec, v string) string {
	if !s.IsTemplate() {
		return v
	}
	return strings.NewReplacer("%i", c.instance, "%I", strings.ReplaceAll(c.instance, "-", "/")).Replace(v)
}

func TestReadsBack(t *testing.T) {
	g := newGenerator(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			s := buildSpec(t, tc.yaml)
			var buf bytes.Buffer
			if err := g.Service(&buf, s); err != nil {
				t.Fatal(err)
			}
			checkReadsBack(t, s, buf.Bytes())
		})
	}
}

// TestVerify runs systemd-analyze verify on every golden variant. The
// program is swapped for /bin/sleep, which verify requires to exist.
// verify exits 0 on unknown keys and bad values, so any output that names
// the unit fails the test.
func TestVerify(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	g := newGenerator(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			s := buildSpec(t, tc.yaml)
			s.Exec = "/bin/sleep"
			files, err := g.Files(s)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var paths []string
			for _, f := range files {
				p := filepath.Join(dir, f.Name)
				if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			verify(t, analyze, paths...)
		})
	}
}

func verify(t *testing.T, analyze string, paths ...string) {
	t.Helper()
	cmd := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		for _, p := range paths {
			if strings.Contains(line, filepath.Base(p)) {
				t.Errorf("systemd-analyze verify: %s", line)
				break
			}
		}
		t.Logf("systemd-analyze verify: %s", line)
	}
	if err != nil {
		t.Errorf("systemd-analyze verify %s: %v\n%s", strings.Join(paths, " "), err, out)
	}
}

// lookPath finds a tool or skips the test when it is not installed.
func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

func TestSocketWithoutListen(t *testing.T) {
	g := newGenerator(t)
	s := buildSpec(t, goldenCases[0].yaml)
	var buf bytes.Buffer
	err := g.Socket(&buf, s)
	if !errors.Is(err, ErrNoListen) {
		t.Fatalf("Socket without listen: %v, want ErrNoListen", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("Socket wrote %q on error", buf.String())
	}
}

func TestRefusesUnrepresentable(t *testing.T) {
	g := newGenerator(t)
	for name, mutate := range map[string]func(*spec.Spec){
		"description trailing backslash": func(s *spec.Spec) { s.Description = `ends with \` },
		"description leading space":      func(s *spec.Spec) { s.Description = " padded" },
		"description newline":            func(s *spec.Spec) { s.Description = "two\nlines" },
		"relative exec":                  func(s *spec.Spec) { s.Exec = "bin/x" },
		"exec with space":                func(s *spec.Spec) { s.Exec = "/opt/my app/x" },
		"exec with dollar":               func(s *spec.Spec) { s.Exec = "/opt/$x" },
		"line too long":                  func(s *spec.Spec) { s.Args = []string{strings.Repeat("x", MaxLineLen)} },
		// A Spec built by hand, not by spec.Build, must not inject settings.
		"name injection":    func(s *spec.Spec) { s.Name = "x\nExecStartPre=/bin/evil" },
		"empty name":        func(s *spec.Spec) { s.Name = "" },
		"user injection":    func(s *spec.Spec) { s.User = "u\nUser=root" },
		"group injection":   func(s *spec.Spec) { s.Group = "g g" },
		"signal injection":  func(s *spec.Spec) { s.ReloadSignal = "HUP\nExecStartPre=/bin/evil" },
		"after injection":   func(s *spec.Spec) { s.After = []string{"a.target\n[Service]"} },
		"requires spaces":   func(s *spec.Spec) { s.Requires = []string{"a.target b.target"} },
		"pidfile injection": func(s *spec.Spec) { s.PIDFile = "/run/x/x.pid\nUser=root" },
		"workdir relative":  func(s *spec.Spec) { s.WorkingDirectory = "srv" },
		"envfile percent":   func(s *spec.Spec) { s.EnvironmentFile = "/etc/%n" },
		"limit injection":   func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "nofile", Value: "1\nUser=root"}} },
		"unknown limit":     func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "bogus", Value: "1"}} },
		"listen injection":  func(s *spec.Spec) { s.Listen = []spec.Listen{{Network: spec.NetworkUnix, Path: "/run/a\nx"}} },
		"type injection":    func(s *spec.Spec) { s.Type = "simple\nUser=root" },
		"restart unknown":   func(s *spec.Spec) { s.Restart = "sometimes" },
		"hardening empty":   func(s *spec.Spec) { s.Hardening = "" },
		"stop timeout zero": func(s *spec.Spec) { s.StopTimeout = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			s := buildSpec(t, goldenCases[0].yaml)
			mutate(s)
			var buf bytes.Buffer
			err := g.Service(&buf, s)
			if !errors.Is(err, ErrUnrepresentable) {
				t.Fatalf("Service: %v, want ErrUnrepresentable", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("Service wrote output on error")
			}
			if _, err := g.Files(s); !errors.Is(err, ErrUnrepresentable) {
				t.Fatalf("Files: %v, want ErrUnrepresentable", err)
			}
		})
	}
}

func TestNilSpec(t *testing.T) {
	g := newGenerator(t)
	if err := g.Service(&bytes.Buffer{}, nil); err == nil {
		t.Error("Service(nil) succeeded")
	}
	if err := g.Socket(&bytes.Buffer{}, nil); err == nil {
		t.Error("Socket(nil) succeeded")
	}
	if _, err := g.Files(nil); err == nil {
		t.Error("Files(nil) succeeded")
	}
}
