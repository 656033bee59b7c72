package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const minimal = "name: app\nexec: /usr/bin/app\n"

func build(t *testing.T, yaml string) (*Spec, error) {
	t.Helper()
	cfg, err := Parse("daemon.yaml", []byte(yaml))
	if err != nil {
		return nil, err
	}
	return cfg.Build()
}

func TestDefaults(t *testing.T) {
	s, err := build(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		Name:             "app",
		Description:      "app",
		Exec:             "/usr/bin/app",
		Args:             []string{},
		Type:             TypeSimple,
		PIDFile:          "/run/app/app.pid",
		Environment:      []EnvVar{},
		EnvironmentFile:  "/etc/default/app",
		WorkingDirectory: "/",
		Restart:          RestartOnFailure,
		RestartDelay:     time.Second,
		StopTimeout:      10 * time.Second,
		ReloadSignal:     "HUP",
		After:            []string{"network-online.target"},
		Wants:            []string{"network-online.target"},
		Requires:         []string{},
		Listen:           []Listen{},
		Limits:           []Limit{},
		Hardening:        HardeningDefault,
		Reload:           ReloadSignal,
		SendSIGKILL:      true,
		// v2: empty lists, nil capability lists (the level decides), no logrotate, no further services.
		ArgsFromEnv:        []EnvVar{},
		Directories:        []Directory{},
		ReadWritePaths:     []string{},
		ReadOnlyPaths:      []string{},
		InaccessiblePaths:  []string{},
		HardeningOverrides: []Override{},
		ExecStartPre:       [][]string{},
		Documentation:      []string{},
		Aliases:            []string{},
		Package: Package{
			Release:    "1",
			Arch:       debianArch(goarch()),
			Maintainer: DefaultMaintainer,
			Depends:    []string{},
			Files:      []File{},
			Conffiles:  []string{},
			Enable:     true,
			Start:      true,
			// v2
			Directories: []PackageDir{},
			Purge:       []PurgeItem{},
		},
		Source: "daemon.yaml",
		lines:  map[string]int{"": 1, "name": 1, "exec": 2},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s, want)
	}
}

func TestFullSpec(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "daemon.yaml")
	text := `name: web.api-1
description: "Web API: 100% \"quoted\""
exec: /opt/web/bin/api
args: ["--flag", "a b", "$HOME", "100%", ""]
type: notify
pidfile: /run/web/api.pid
user: web
environment:
  B: "2"
  A: "x y"
environment_file: /etc/web/env
working_directory: /var/lib/web
restart: always
restart_sec: 250ms
stop_timeout: 1m30s
watchdog_sec: 0
reload_signal: SIGUSR1
after: [network.target, postgresql.service]
wants: []
requires: [postgresql.service]
listen: ["tcp:127.0.0.1:8080", "tcp:[::1]:8080", "tcp::9090", "unix:/run/web/api.sock"]
limits: {nproc: 512, nofile: "1024:65536", core: infinity}
hardening: strict
package:
  version: "1.10"
  release: 3
  arch: arm64
  maintainer: Jane <jane@example.org>
  license: MIT
  homepage: https://example.org/
  depends: ["libc6 (>= 2.36)", "adduser | passwd"]
  files:
    - {src: bin/api, dst: /opt/web/bin/api}
    - {src: /etc/hosts, dst: /etc/web/hosts, mode: 0600}
  conffiles: [/etc/web/hosts]
  enable: false
  start: false
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"description", s.Description, `Web API: 100% "quoted"`},
		{"args", s.Args, []string{"--flag", "a b", "$HOME", "100%", ""}},
		{"type", s.Type, TypeNotify},
		{"group defaults to user", s.Group, "web"},
		{"environment keeps file order", s.Environment, []EnvVar{{"B", "2"}, {"A", "x y"}}},
		{"restart_sec", s.RestartDelay, 250 * time.Millisecond},
		{"stop_timeout", s.StopTimeout, 90 * time.Second},
		{"reload_signal loses SIG", s.ReloadSignal, "USR1"},
		{"explicit empty wants", s.Wants, []string{}},
		{"listen", s.Listen, []Listen{
			{Network: NetworkTCP, Host: "127.0.0.1", Port: 8080},
			{Network: NetworkTCP, Host: "::1", Port: 8080},
			{Network: NetworkTCP, Port: 9090},
			{Network: NetworkUnix, Path: "/run/web/api.sock"},
		}},
		{"limits sorted", s.Limits, []Limit{{"core", "infinity"}, {"nofile", "1024:65536"}, {"nproc", "512"}}},
		{"version kept literally", s.Package.Version, "1.10"},
		{"release", s.Package.Release, "3"},
		{"exec file is executable", s.Package.Files[0], File{Src: filepath.Join(dir, "bin/api"), Dst: "/opt/web/bin/api", Mode: 0o755}},
		{"explicit mode", s.Package.Files[1].Mode, os.FileMode(0o600)},
		{"enable", s.Package.Enable, false},
		{"start", s.Package.Start, false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	binds := []string{}
	for _, l := range s.Listen {
		binds = append(binds, l.BindStream())
	}
	if want := []string{"127.0.0.1:8080", "[::1]:8080", "9090", "/run/web/api.sock"}; !reflect.DeepEqual(binds, want) {
		t.Errorf("BindStream: got %q, want %q", binds, want)
	}
	nofile := s.Limits[1]
	if nofile.Directive() != "LimitNOFILE" || nofile.UlimitFlag() != "-n" || nofile.Soft() != "1024" || nofile.Hard() != "65536" {
		t.Errorf("nofile limit accessors: %q %q %q %q", nofile.Directive(), nofile.UlimitFlag(), nofile.Soft(), nofile.Hard())
	}
	if err := s.CheckPackage(); err != nil {
		t.Errorf("CheckPackage: %v", err)
	}
}

// TestErrors covers every validation and decoding error: each case must
// produce exactly the listed "file:line: field: reason" prefix.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"empty file", "", "daemon.yaml: file is empty"},
		{"syntax", "name: [a\n", "daemon.yaml:1: invalid YAML: did not find expected"},
		{"not a mapping", "- a\n", "daemon.yaml:1: must be a mapping, not a list"},
		{"two documents", minimal + "---\nname: b\n", "daemon.yaml:3: only one YAML document is allowed"},
		{"unknown key", minimal + "exce: /x\n", `daemon.yaml:3: exce: unknown key (did you mean "exec"?)`},
		{"unknown key far from all", minimal + "zzzzzzzzz: 1\n", "daemon.yaml:3: zzzzzzzzz: unknown key"},
		{"unknown package key", minimal + "package:\n  vresion: 1\n", `daemon.yaml:4: package.vresion: unknown key (did you mean "version"?)`},
		{"duplicate key", minimal + "name: b\n", "daemon.yaml:3: name: duplicate key (first on line 1)"},
		{"name missing", "exec: /x\n", "daemon.yaml:1: name: is required"},
		{"name bad", "name: Web\nexec: /x\n", `daemon.yaml:1: name: "Web" must match`},
		{"name too long", "name: " + strings.Repeat("a", 65) + "\nexec: /x\n", "daemon.yaml:1: name: must be at most 64 characters"},
		{"name list", "name: [a]\nexec: /x\n", "daemon.yaml:1: name: must be a string, not a list"},
		{"name null", "name:\nexec: /x\n", "daemon.yaml:1: name: must not be empty"},
		{"exec missing", "name: a\n", "daemon.yaml:1: exec: is required"},
		{"exec relative", "name: a\nexec: bin/a\n", `daemon.yaml:2: exec: "bin/a" must be an absolute path`},
		{"exec unclean", "name: a\nexec: /usr//bin/a\n", "daemon.yaml:2: exec: \"/usr//bin/a\" must be a clean path"},
		{"exec space", "name: a\nexec: /usr/bin/a b\n", "daemon.yaml:2: exec: \"/usr/bin/a b\" must not contain spaces"},
		{"exec dollar", "name: a\nexec: /usr/bin/$a\n", "daemon.yaml:2: exec: \"/usr/bin/$a\" must not contain spaces"},
		{"exec newline", "name: a\nexec: \"/usr/bin/a\\nb\"\n", "daemon.yaml:2: exec: must not contain control characters"},
		{"description newline", minimal + "description: \"a\\nb\"\n", "daemon.yaml:3: description: must be one line"},
		{"description long", minimal + "description: " + strings.Repeat("d", 201) + "\n", "daemon.yaml:3: description: must be at most 200 bytes"},
		{"description padded", minimal + "description: \" x\"\n", "daemon.yaml:3: description: must not start or end with white space"},
		{"description backslash", minimal + "description: 'x\\'\n", "daemon.yaml:3: description: must not start or end with white space or end with a backslash"},
		{"args not list", minimal + "args: --x\n", "daemon.yaml:3: args: must be a list, not a scalar"},
		{"args item mapping", minimal + "args:\n  - a\n  - {b: c}\n", "daemon.yaml:5: args[1]: must be a string, not a mapping"},
		{"args NUL", minimal + "args: [\"a\\0b\"]\n", "daemon.yaml:3: args[0]: must not contain a NUL byte"},
		{"type", minimal + "type: oneshot\n", `daemon.yaml:3: type: "oneshot" must be one of simple, exec, notify, forking`},
		{"pidfile relative", minimal + "pidfile: app.pid\n", "daemon.yaml:3: pidfile: \"app.pid\" must be an absolute path"},
		{"pidfile in root", minimal + "pidfile: /app.pid\n", "daemon.yaml:3: pidfile: must be a file inside a directory"},
		{"user bad", minimal + "user: Root\n", `daemon.yaml:3: user: "Root" must match`},
		{"group bad", minimal + "group: \"a;b\"\n", `daemon.yaml:3: group: "a;b" must match`},
		{"env not map", minimal + "environment: [A]\n", "daemon.yaml:3: environment: must be a mapping of NAME: value, not a list"},
		{"env bad name", minimal + "environment:\n  1A: x\n", "daemon.yaml:4: environment.1A: variable names must match"},
		{"env dup", minimal + "environment:\n  A: x\n  A: y\n", "daemon.yaml:5: environment.A: duplicate variable"},
		{"env NUL", minimal + "environment:\n  A: \"\\0\"\n", "daemon.yaml:4: environment.A: must not contain a NUL byte"},
		{"group defaulted from a bad user", minimal + "user: \"bad user\"\n", `daemon.yaml:3: user: "bad user" must match`},
		{"env value list", minimal + "environment:\n  A: [x]\n", "daemon.yaml:4: environment.A: must be a string, not a list"},
		{"environment_file", minimal + "environment_file: etc/x\n", "daemon.yaml:3: environment_file: \"etc/x\" must be an absolute path"},
		{"working_directory", minimal + "working_directory: \"/a/../b\"\n", "daemon.yaml:3: working_directory: \"/a/../b\" must be a clean path"},
		{"restart", minimal + "restart: sometimes\n", `daemon.yaml:3: restart: "sometimes" must be one of no, on-failure, always`},
		{"restart_sec not duration", minimal + "restart_sec: 5\n", `daemon.yaml:3: restart_sec: "5" is not a Go duration`},
		{"restart_sec negative", minimal + "restart_sec: -1s\n", "daemon.yaml:3: restart_sec: must not be negative"},
		{"stop_timeout zero", minimal + "stop_timeout: 0s\n", "daemon.yaml:3: stop_timeout: must be greater than 0"},
		{"watchdog too small", minimal + "type: notify\nwatchdog_sec: 10ms\n", "daemon.yaml:4: watchdog_sec: must be 0 (off) or at least 1s"},
		{"watchdog needs notify", minimal + "watchdog_sec: 10s\n", "daemon.yaml:3: watchdog_sec: needs type: notify"},
		{"reload_signal", minimal + "reload_signal: KILL\n", `daemon.yaml:3: reload_signal: "KILL" must be one of HUP`},
		{"after bad unit", minimal + "after: [network]\n", `daemon.yaml:3: after[0]: "network" is not a systemd unit name`},
		{"wants injection", minimal + "wants: [\"a.service b.service\"]\n", `daemon.yaml:3: wants[0]: "a.service b.service" is not a systemd unit name`},
		{"requires item line", minimal + "requires:\n  - a.service\n  - b\n", `daemon.yaml:5: requires[1]: "b" is not a systemd unit name`},
		{"listen no network", minimal + "listen: [\"8080\"]\n", `daemon.yaml:3: listen[0]: "8080" must look like tcp:HOST:PORT or unix:/path`},
		{"listen udp", minimal + "listen: [\"udp:1.2.3.4:53\"]\n", `daemon.yaml:3: listen[0]: "udp:1.2.3.4:53": network must be tcp or unix`},
		{"listen port", minimal + "listen: [\"tcp:127.0.0.1:0\"]\n", `daemon.yaml:3: listen[0]: "tcp:127.0.0.1:0": port must be a number from 1 to 65535`},
		{"listen host", minimal + "listen: [\"tcp:localhost:80\"]\n", `daemon.yaml:3: listen[0]: "tcp:localhost:80": host must be an IP address`},
		{"listen v6 no brackets", minimal + "listen: [\"tcp:::1:80\"]\n", `daemon.yaml:3: listen[0]: "tcp:::1:80" must look like tcp:HOST:PORT (IPv6 in brackets)`},
		{"listen unix relative", minimal + "listen: [\"unix:a.sock\"]\n", `daemon.yaml:3: listen[0]: "unix:a.sock": the socket path must be absolute`},
		{"listen duplicate", minimal + "listen: [\"tcp::80\", \"tcp::80\"]\n", "daemon.yaml:3: listen[1]: duplicate of listen[0]"},
		{"limits not map", minimal + "limits: 5\n", "daemon.yaml:3: limits: must be a mapping like {nofile: 65536}, not a scalar"},
		{"limit unknown", minimal + "limits:\n  files: 5\n", "daemon.yaml:4: limits.files: unknown limit; known: as, core"},
		{"limit value", minimal + "limits:\n  nofile: lots\n", `daemon.yaml:4: limits.nofile: "lots" must be a number, infinity, or SOFT:HARD`},
		{"limit soft above hard", minimal + "limits:\n  core: \"infinity:1024\"\n", "daemon.yaml:4: limits.core: soft limit infinity exceeds hard limit 1024"},
		{"hardening", minimal + "hardening: max\n", `daemon.yaml:3: hardening: "max" must be one of strict, default, off`},
		{"package not map", minimal + "package: 1\n", "daemon.yaml:3: package: must be a mapping, not a scalar"},
		{"version", minimal + "package:\n  version: v1\n", `daemon.yaml:4: package.version: "v1" must start with a digit`},
		{"release", minimal + "package:\n  release: \"1-2\"\n", `daemon.yaml:4: package.release: "1-2" must use only`},
		{"arch", minimal + "package:\n  arch: \"x86 64\"\n", `daemon.yaml:4: package.arch: "x86 64" is not an architecture name`},
		{"maintainer", minimal + "package:\n  maintainer: Jane\n", `daemon.yaml:4: package.maintainer: "Jane" must look like Name <email>`},
		{"homepage", minimal + "package:\n  homepage: example.org\n", `daemon.yaml:4: package.homepage: "example.org" must be an http(s) URL`},
		{"depends", minimal + "package:\n  depends: [\"libc6; rm -rf /\"]\n", `daemon.yaml:4: package.depends[0]: "libc6; rm -rf /" is not a package relation`},
		{"files not list", minimal + "package:\n  files: x\n", "daemon.yaml:4: package.files: must be a list of {src, dst, mode}, not a scalar"},
		{"file src missing", minimal + "package:\n  files:\n    - dst: /a\n", "daemon.yaml:5: package.files[0].src: is required"},
		{"file dst relative", minimal + "package:\n  files:\n    - {src: a, dst: b}\n", `daemon.yaml:5: package.files[0].dst: "b" must be an absolute path`},
		{"file mode", minimal + "package:\n  files:\n    - {src: a, dst: /b, mode: 0999}\n", `daemon.yaml:5: package.files[0].mode: "0999" is not an octal file mode`},
		{"file unknown key", minimal + "package:\n  files:\n    - {src: a, dst: /b, user: x}\n", `daemon.yaml:5: package.files[0].user: unknown key`},
		{"file dup dst", minimal + "package:\n  files:\n    - {src: a, dst: /opt/b}\n    - {src: c, dst: /opt/b}\n", "daemon.yaml:6: package.files[1].dst: duplicate of package.files[0]"},
		{"conffiles", minimal + "package:\n  conffiles: [etc/x]\n", `daemon.yaml:4: package.conffiles[0]: "etc/x" must be an absolute path`},
		{"enable not bool", minimal + "package:\n  enable: \"yes\"\n", "daemon.yaml:4: package.enable: must be true or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(t, c.yaml)
			if err == nil {
				t.Fatalf("no error; want %q", c.want)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not spec.Errors: %v", err, err)
			}
			if !strings.HasPrefix(errs[0].Error(), c.want) {
				t.Errorf("got  %q\nwant prefix %q", errs[0].Error(), c.want)
			}
			var one *Error
			if !errors.As(err, &one) {
				t.Errorf("errors.As(*Error) failed")
			}
		})
	}
}

func TestErrorsSortedByLine(t *testing.T) {
	_, err := build(t, "type: x\nname: Bad\nrestart: r\nexec: rel\nuser: \"a b\"\n")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatal(err)
	}
	lines := []int{}
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if !reflect.DeepEqual(lines, []int{1, 2, 3, 4, 5}) {
		t.Errorf("lines %v, want 1..5 in order (one error each): %v", lines, err)
	}
}

func TestAllErrorsReported(t *testing.T) {
	_, err := build(t, "name: Bad\nexec: rel\ntype: x\n")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	want := "daemon.yaml:1: name: \"Bad\" must match [a-z0-9][a-z0-9._-]*\n" +
		"daemon.yaml:2: exec: \"rel\" must be an absolute path\n" +
		"daemon.yaml:3: type: \"x\" must be one of simple, exec, notify, forking"
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}

func TestCheckPackage(t *testing.T) {
	s, err := build(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	err = s.CheckPackage()
	if err == nil || err.Error() != "daemon.yaml: package.version: is required to build a package" {
		t.Errorf("CheckPackage: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(missing)
	var errs Errors
	if !errors.Is(err, os.ErrNotExist) || !errors.As(err, &errs) {
		t.Errorf("missing file: %v", err)
	}
	if want := missing + ": cannot read the spec: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %s", err, want)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxSpecSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

func TestAliasesResolve(t *testing.T) {
	s, err := build(t, "name: a\nexec: &e /usr/bin/a\nargs: [*e]\n")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Args, []string{"/usr/bin/a"}) {
		t.Errorf("args: %q", s.Args)
	}
}

func TestBuildDoesNotModifyConfig(t *testing.T) {
	cfg, err := Parse("d.yaml", []byte(minimal+"limits: {nproc: 1, core: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Build(); err != nil {
		t.Fatal(err)
	}
	if cfg.Limits[0].Name != "nproc" {
		t.Errorf("Build sorted the Config's limits in place")
	}
}

func TestLoadReportsParseAndBuildErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.yaml")
	if err := os.WriteFile(path, []byte("name: [x]\nexec: rel\ntpye: simple\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + ":1: name: must be a string, not a list\n" +
		path + ":2: exec: \"rel\" must be an absolute path\n" +
		path + ":3: tpye: unknown key (did you mean \"type\"?)"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
