package sysv

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// shells returns the shells the script must parse and run under, each as a
// command line; missing ones are logged and left out.
func shells(t testing.TB) [][]string {
	t.Helper()
	var out [][]string
	for _, sh := range [][]string{{"dash"}, {"bash", "--posix"}, {"busybox", "sh"}} {
		p, err := exec.LookPath(sh[0])
		if err != nil {
			t.Logf("%s not installed; not checked", sh[0])
			continue
		}
		out = append(out, append([]string{p}, sh[1:]...))
	}
	if len(out) == 0 {
		t.Skip("no shell installed")
	}
	return out
}

func build(t testing.TB, c spec.Config) *spec.Spec {
	t.Helper()
	s, err := c.Build()
	if err != nil {
		t.Fatalf("build spec: %v", err)
	}
	return s
}

func dur(d time.Duration) *time.Duration { return &d }

// goldenCases covers every variant of the template.
func goldenCases(t testing.TB) map[string]*spec.Spec {
	noReload := build(t, spec.Config{Name: "noreload", Exec: "/usr/sbin/noreload"})
	noReload.ReloadSignal = ""
	cases := map[string]*spec.Spec{
		"simple": build(t, spec.Config{Name: "simple", Exec: "/usr/bin/simple"}),
		"exec": build(t, spec.Config{
			Name: "execd", Exec: "/usr/bin/execd", Type: "exec", User: "execd",
			Args: []string{"--foreground"}, StopTimeout: dur(1500 * time.Millisecond),
		}),
		"notify": build(t, spec.Config{
			Name: "echod", Description: "daemonctl reference TCP echo daemon", Exec: "/usr/bin/echod",
			Args: []string{"--listen", "127.0.0.1:7007"}, Type: "notify", User: "echod",
			Environment:  []spec.EnvVar{{Name: "ECHOD_GREETING", Value: "hello from echod"}},
			Limits:       []spec.Limit{{Name: "nofile", Value: "65536"}},
			ReloadSignal: "HUP",
		}),
		"forking": build(t, spec.Config{
			Name: "forker", Exec: "/usr/sbin/forker", Type: "forking",
			PIDFile: "/var/run/forker.pid", Args: []string{"-d"}, User: "forker", Group: "daemon",
			ReloadSignal: "USR1", WorkingDirectory: "/var/lib/forker",
		}),
		"nouser": build(t, spec.Config{Name: "rootd", Exec: "/usr/sbin/rootd", Description: "runs as root"}),
		"limits": build(t, spec.Config{
			Name: "limited", Exec: "/usr/bin/limited",
			Limits: []spec.Limit{
				{Name: "nofile", Value: "1024:4096"}, {Name: "nproc", Value: "100:infinity"},
				{Name: "core", Value: "infinity"}, {Name: "fsize", Value: "1048576"},
				{Name: "stack", Value: "8388608"}, {Name: "memlock", Value: "65536"}, {Name: "cpu", Value: "3600"},
			},
		}),
		"env": build(t, spec.Config{
			Name: "envd", Exec: "/usr/bin/envd", EnvironmentFile: "/etc/envd/env",
			Environment: []spec.EnvVar{
				{Name: "PLAIN", Value: "value"}, {Name: "QUOTED", Value: `it's "quoted" $HOME`},
				{Name: "EMPTY", Value: ""}, {Name: "MULTI", Value: "line1\nline2"},
			},
		}),
		"oddargs": build(t, spec.Config{
			Name: "odd", Exec: "/usr/bin/odd", Description: `odd "args" & $(things) 'here'`,
			Args: []string{"", "two words", "it's", `"dq"`, "$HOME", "`id`", `back\slash`, ";", "a\nb", "*", "-", "--", "ünï"},
		}),
		"deps": build(t, spec.Config{
			Name: "deps", Exec: "/usr/bin/deps",
			After:    []string{"network-online.target", "time-sync.target", "postgresql.service"},
			Requires: []string{"nss-lookup.target", "remote-fs.target", "rpcbind.service"},
			Wants:    []string{"network-online.target", "local-fs.target", "redis.service", "time-sync.target"},
		}),
		"nodeps":   build(t, spec.Config{Name: "nodeps", Exec: "/usr/bin/nodeps", After: []string{}, Wants: []string{}}),
		"noreload": noReload,
	}
	for name, s := range v2Cases(t) {
		cases[name] = s
	}
	return cases
}

func render(t testing.TB, s *spec.Spec) []byte {
	t.Helper()
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := g.Script(&buf, s); err != nil {
		t.Fatalf("Script: %v", err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for name, s := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			got := render(t, s)
			if err := checkHeader(string(got), s.Name, s.Description); err != nil {
				t.Errorf("LSB header: %v", err)
			}
			path := filepath.Join("testdata", "golden", name+".sh")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./sysv -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("script differs from %s (go test ./sysv -update rewrites it):\n%s", path, firstDiff(string(want), string(got)))
			}
		})
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n- " + w + "\n+ " + g
		}
	}
	return "(equal lines, different bytes)"
}

// TestSyntax runs sh -n under every shell and shellcheck -s sh on every
// golden variant.
func TestSyntax(t *testing.T) {
	shs := shells(t)
	shellcheck, scErr := exec.LookPath("shellcheck")
	if scErr != nil {
		t.Log("shellcheck not installed; not run")
	}
	dir := t.TempDir()
	for name, s := range goldenCases(t) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, render(t, s), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sh := range shs {
			out, err := exec.Command(sh[0], append(sh[1:], "-n", path)...).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s: %v -n: %v\n%s", name, sh, err, out)
			}
		}
		if shellcheck != "" {
			out, err := exec.Command(shellcheck, "-s", "sh", "-f", "gcc", path).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s: shellcheck -s sh: %v\n%s", name, err, out)
			}
		}
	}
}

// TestNoBlanketDisable keeps shellcheck directives targeted: each names a
// code and gives a reason, and none sits at the top of the file.
func TestNoBlanketDisable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "templates", templateName))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, "# shellcheck disable=") {
			continue
		}
		code, reason, ok := strings.Cut(strings.TrimPrefix(l, "# shellcheck disable="), " # ")
		if !ok || strings.TrimSpace(reason) == "" || strings.Contains(code, ",") || !strings.HasPrefix(code, "SC") {
			t.Errorf("line %d: %q: one code and a reason per directive", i+1, l)
		}
		if i < 20 {
			t.Errorf("line %d: %q: file-wide directive", i+1, l)
		}
	}
}

func TestFacilities(t *testing.T) {
	tests := []struct {
		name                     string
		after, wants, requires   []string
		wantRequired, wantShould string
	}{
		{"default", []string{"network-online.target"}, []string{"network-online.target"}, nil, "$remote_fs $syslog $network", ""},
		{"none", nil, nil, nil, "$remote_fs $syslog", ""},
		{"after maps", []string{"time-sync.target", "nss-lookup.target"}, nil, nil, "$remote_fs $syslog $time $named", ""},
		{"requires maps", nil, nil, []string{"rpcbind.service", "remote-fs.target"}, "$remote_fs $syslog $portmap", ""},
		{"unmapped dropped", []string{"postgresql.service"}, []string{"redis.service"}, []string{"foo.socket"}, "$remote_fs $syslog", ""},
		{"wants to should", nil, []string{"network-online.target", "time-sync.target", "time-sync.target"}, nil, "$remote_fs $syslog", "$network $time"},
		{"no duplicate with required", []string{"time-sync.target"}, []string{"time-sync.target", "nss-lookup.target"}, nil, "$remote_fs $syslog $time", "$named"},
	}
	for _, tt := range tests {
		s := &spec.Spec{After: tt.after, Wants: tt.wants, Requires: tt.requires}
		req, should := facilities(s)
		if req != tt.wantRequired || should != tt.wantShould {
			t.Errorf("%s: got %q / %q, want %q / %q", tt.name, req, should, tt.wantRequired, tt.wantShould)
		}
	}
}

func TestFiles(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s := build(t, spec.Config{Name: "filed", Exec: "/usr/bin/filed"})
	files, err := g.Files(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Name != "filed" || files[0].Mode != 0o755 {
		t.Fatalf("Files = %+v, want one file \"filed\" mode 0755", files)
	}
	if !bytes.Equal(files[0].Data, render(t, s)) {
		t.Error("Files data differs from Script output")
	}
}

// TestReject covers every value the generator refuses on its own, for specs
// that did not come through spec validation.
func TestReject(t *testing.T) {
	base := func() *spec.Spec { return build(t, spec.Config{Name: "rej", Exec: "/usr/bin/rej", User: "rej"}) }
	tests := []struct {
		name   string
		mutate func(*spec.Spec)
		want   string
	}{
		{"bad name", func(s *spec.Spec) { s.Name = "a b" }, "name"},
		{"name with newline", func(s *spec.Spec) { s.Name = "a\n### END INIT INFO" }, "name"},
		{"description newline", func(s *spec.Spec) { s.Description = "x\n### END INIT INFO\nrm -rf /" }, "description"},
		{"description CR", func(s *spec.Spec) { s.Description = "x\rnext" }, "description"},
		{"description LS", func(s *spec.Spec) { s.Description = "x\u2028y" }, "description"},
		{"description bad utf8", func(s *spec.Spec) { s.Description = "x\xff" }, "description"},
		{"relative exec", func(s *spec.Spec) { s.Exec = "bin/x" }, "exec"},
		{"exec newline", func(s *spec.Spec) { s.Exec = "/bin/x\ny" }, "exec"},
		{"pidfile at root", func(s *spec.Spec) { s.PIDFile = "/x.pid" }, "pidfile"},
		{"NUL arg", func(s *spec.Spec) { s.Args = []string{"a\x00b"} }, "args[0]"},
		{"bad user", func(s *spec.Spec) { s.User = "root;id" }, "user"},
		{"user without group", func(s *spec.Spec) { s.Group = "" }, "group"},
		{"bad signal", func(s *spec.Spec) { s.ReloadSignal = "HUP; id" }, "reload_signal"},
		{"bad type", func(s *spec.Spec) { s.Type = "oneshot" }, "type"},
		{"bad env name", func(s *spec.Spec) { s.Environment = []spec.EnvVar{{Name: "A-B", Value: "x"}} }, "environment.A-B"},
		{"shell env name", func(s *spec.Spec) { s.Environment = []spec.EnvVar{{Name: "IFS", Value: "x"}} }, "environment.IFS"},
		{"bash env name", func(s *spec.Spec) { s.Environment = []spec.EnvVar{{Name: "BASH_FUNC_x", Value: "x"}} }, "environment.BASH_FUNC_x"},
		{"NUL env", func(s *spec.Spec) { s.Environment = []spec.EnvVar{{Name: "A", Value: "\x00"}} }, "environment.A"},
		{"zero stop timeout", func(s *spec.Spec) { s.StopTimeout = 0 }, "stop_timeout"},
		{"bad limit value", func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "nofile", Value: "1; id"}} }, "limits.nofile"},
		{"soft above hard", func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "nofile", Value: "200:100"}} }, "limits.nofile"},
	}
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		s := base()
		tt.mutate(s)
		var buf bytes.Buffer
		err := g.Script(&buf, s)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want+":") {
			t.Errorf("%s: err = %v, want ErrUnsafe naming %s", tt.name, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", tt.name, buf.Len())
		}
	}
	if err := g.Script(&bytes.Buffer{}, nil); !errors.Is(err, ErrUnsafe) {
		t.Errorf("nil spec: err = %v, want ErrUnsafe", err)
	}
}

// TestLimitUnits checks the conversion to the shells' ulimit units.
func TestLimitUnits(t *testing.T) {
	tests := []struct {
		limit      spec.Limit
		flag       string
		soft, hard string
		applied    bool
	}{
		{spec.Limit{Name: "nofile", Value: "1024:4096"}, "-n", "1024", "4096", true},
		{spec.Limit{Name: "core", Value: "infinity"}, "-c", "unlimited", "unlimited", true},
		{spec.Limit{Name: "core", Value: "1024"}, "-c", "2", "2", true},
		{spec.Limit{Name: "fsize", Value: "1000"}, "-f", "1", "1", true},
		{spec.Limit{Name: "stack", Value: "8388608"}, "-s", "8192", "8192", true},
		{spec.Limit{Name: "as", Value: "2048:infinity"}, "-v", "2", "unlimited", true},
		{spec.Limit{Name: "nproc", Value: "50"}, "-u", "50", "50", true},
		{spec.Limit{Name: "cpu", Value: "60"}, "-t", "60", "60", true},
		{spec.Limit{Name: "memlock", Value: "64"}, "", "", "", false},
	}
	for _, tt := range tests {
		u, ok, err := toUlimit(tt.limit)
		if err != nil {
			t.Errorf("%v: %v", tt.limit, err)
			continue
		}
		if ok != tt.applied || u.Flag != tt.flag || u.Soft != tt.soft || u.Hard != tt.hard {
			t.Errorf("%v: got %+v applied=%v, want %s %s:%s applied=%v", tt.limit, u, ok, tt.flag, tt.soft, tt.hard, tt.applied)
		}
	}
}

// TestStopTimeoutSeconds: stop_timeout becomes whole seconds, rounded up,
// and saturates instead of overflowing near the largest duration, so that
// the script never gets a negative or oversized STOP_TIMEOUT.
func TestStopTimeoutSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Nanosecond, "1"},
		{1500 * time.Millisecond, "2"},
		{10 * time.Second, "10"},
		{maxStopSeconds * time.Second, strconv.Itoa(maxStopSeconds)},
		{maxStopSeconds*time.Second + 1, strconv.Itoa(maxStopSeconds)},
		{time.Duration(math.MaxInt64 - 1), strconv.Itoa(maxStopSeconds)},
		{time.Duration(math.MaxInt64), strconv.Itoa(maxStopSeconds)},
	}
	for _, tt := range tests {
		s := build(t, spec.Config{Name: "slow", Exec: "/usr/bin/slow"})
		s.StopTimeout = tt.d
		script := string(render(t, s))
		if !strings.Contains(script, "\nSTOP_TIMEOUT="+tt.want+"\n") {
			i := strings.Index(script, "STOP_TIMEOUT=")
			t.Errorf("stop_timeout %v: %q, want STOP_TIMEOUT=%s", tt.d, script[i:i+min(len(script)-i, 40)], tt.want)
		}
	}
}
