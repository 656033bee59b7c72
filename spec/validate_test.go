package spec

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingKeyLine: a missing required key is reported on the line of
// the mapping that lacks it, the document's top mapping or a list item.
func TestMissingKeyLine(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"name: a\n", "daemon.yaml:1: exec: is required"},
		{"# a comment\n\nname: a\nuser: web\n", "daemon.yaml:3: exec: is required"},
		{"---\n# doc\nexec: /usr/bin/a\n", "daemon.yaml:3: name: is required"},
		{minimal + "package:\n  files:\n    - {src: a, dst: /usr/bin/app}\n    - mode: 0644\n      src: b\n", "daemon.yaml:6: package.files[1].dst: is required"},
	} {
		_, err := build(t, c.yaml)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.yaml, err, c.want)
		}
	}
}

// TestLine: the positions the parser found stay on the Spec, so that a
// later check names the line without reading the file again.
func TestLine(t *testing.T) {
	s, err := build(t, minimal+"args:\n  - -v\npackage:\n  version: 1.0\n  files:\n    - src: a\n      dst: /usr/bin/app\n    - src: b\n      dst: /etc/app.conf\n")
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]int{
		"name": 1, "exec": 2, "args[0]": 4, "package.version": 6,
		"package.files[1].src": 10, "package.files[1].dst": 11, "package.files[1]": 10,
		"package.files[1].mode": 10, // not written: its item's line
		"package.release":       6,  // not written: the package mapping's line
		"pidfile":               0,  // a default: not located
	} {
		if got := s.Line(field); got != want {
			t.Errorf("Line(%q) = %d, want %d", field, got, want)
		}
	}
	if got := s.FieldError("package.files[1].src", "cannot read b").Error(); got != "daemon.yaml:10: package.files[1].src: cannot read b" {
		t.Errorf("FieldError: %q", got)
	}
	byHand := &Spec{Source: "x.yaml"}
	if got := byHand.Line("exec"); got != 0 {
		t.Errorf("Line on a Spec built by hand = %d, want 0", got)
	}
}

// TestValidate: a built Spec passes Validate; a Spec changed by hand is
// held to Build's rules, and to what Build's defaults would fill.
func TestValidate(t *testing.T) {
	base := func() *Spec {
		s, err := build(t, minimal+"user: web\nlisten: [\"tcp::80\", \"unix:/run/app/app.sock\"]\nlimits: {nofile: 1024}\n")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("Validate of a built spec: %v", err)
	}
	for name, c := range map[string]struct {
		mutate func(*Spec)
		want   string
	}{
		"bad name":           {func(s *Spec) { s.Name = "A b" }, `daemon.yaml:1: name: "A b" must match`},
		"empty description":  {func(s *Spec) { s.Description = "" }, "daemon.yaml:1: description: is required"},
		"description ends":   {func(s *Spec) { s.Description = "x " }, "daemon.yaml: description: must not start or end"},
		"group missing":      {func(s *Spec) { s.Group = "" }, "daemon.yaml: group: must be set when user is"},
		"bad account":        {func(s *Spec) { s.User = "a;b" }, `daemon.yaml:3: user: "a;b" must match`},
		"path special":       {func(s *Spec) { s.WorkingDirectory = "/srv/a$b" }, `daemon.yaml: working_directory: "/srv/a$b" must not contain spaces`},
		"path nbsp":          {func(s *Spec) { s.Exec = "/usr/bin/a\u00a0b" }, `daemon.yaml:2: exec: "/usr/bin/a\u00a0b" must not contain spaces`},
		"empty type":         {func(s *Spec) { s.Type = "" }, `daemon.yaml: type: "" must be one of`},
		"limit order":        {func(s *Spec) { s.Limits[0].Value = "2:1" }, "daemon.yaml:5: limits.nofile: soft limit 2 exceeds hard limit 1"},
		"listen path":        {func(s *Spec) { s.Listen[1].Path = "/run/a\nb" }, `daemon.yaml:4: listen[1]: "unix:/run/a\nb": the socket path`},
		"listen unparsed":    {func(s *Spec) { s.Listen[0].Host = "[::1]" }, "daemon.yaml:4: listen[0]:"},
		"listen duplicate":   {func(s *Spec) { s.Listen[1] = s.Listen[0] }, "daemon.yaml:4: listen[1]: duplicate of listen[0]"},
		"stop timeout":       {func(s *Spec) { s.StopTimeout = 0 }, "daemon.yaml: stop_timeout: must be greater than 0"},
		"pidfile in /tmp":    {func(s *Spec) { s.PIDFile = "/tmp/app.pid" }, `daemon.yaml: pidfile: "/tmp/app.pid" is in /tmp`},
		"duration too large": {func(s *Spec) { s.RestartDelay = 2 * MaxDuration }, "daemon.yaml: restart_sec: must be at most"},
	} {
		t.Run(name, func(t *testing.T) {
			s := base()
			c.mutate(s)
			err := s.Validate()
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), c.want) {
				t.Fatalf("Validate: %v, want one error starting %q", err, c.want)
			}
		})
	}
}

// TestPredicates pins the exported predicates generators call for a Spec
// built by hand to the rules Build applies.
func TestPredicates(t *testing.T) {
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"name", ValidName("web-1.a_b"), true},
		{"name empty", ValidName(""), false},
		{"name long", ValidName(strings.Repeat("a", MaxNameLen+1)), false},
		{"name upper", ValidName("Web"), false},
		{"account", ValidAccount("_web-1"), true},
		{"account long", ValidAccount(strings.Repeat("a", MaxAccountLen+1)), false},
		{"account empty", ValidAccount(""), false},
		{"env", ValidEnvName("A_1"), true},
		{"env dash", ValidEnvName("A-1"), false},
		{"printable", Printable("café ok"), true},
		{"printable NEL", Printable("a\u0085b"), false},
		{"printable LS", Printable("a\u2028b"), false},
		{"description backslash", ValidDescription(`a\`), false},
		{"description empty", ValidDescription(""), false},
		{"path", ValidPath("/usr/bin/a.b-c_d+e"), true},
		{"path relative", ValidPath("usr/bin"), false},
		{"path percent", ValidPath("/etc/%n"), false},
		{"path zero width", ValidPath("/etc/a\u200bb"), false},
		{"signal", ValidSignal("USR1"), true},
		{"signal prefixed", ValidSignal("SIGUSR1"), false},
		{"type", TypeNotify.Valid(), true},
		{"type oneshot", ServiceType("oneshot").Valid(), false},
		{"restart", RestartPolicy("sometimes").Valid(), false},
		{"hardening empty", Hardening("").Valid(), false},
		{"limit", Limit{Name: "nofile", Value: "1:infinity"}.WellFormed(), true},
		{"limit unknown", Limit{Name: "bogus", Value: "1"}.WellFormed(), false},
		{"limit syntax", Limit{Name: "core", Value: "1:2:3"}.WellFormed(), false},
		{"limit ordered", Limit{Name: "core", Value: "1:infinity"}.Ordered(), true},
		{"limit unordered", Limit{Name: "core", Value: "infinity:1"}.Ordered(), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if LimitNumber("99999999999999999999") != LimitNumber("infinity") {
		t.Error("LimitNumber: a number beyond 64 bits must order as infinity")
	}
}

// TestBuiltSpecsValidate: every Spec Build returns passes Validate, so the
// two can never disagree on a spec read from a file.
func TestBuiltSpecsValidate(t *testing.T) {
	example, err := Load(filepath.Join("..", "examples", "echod", "daemon.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := example.Validate(); err != nil {
		t.Errorf("examples/echod: %v", err)
	}
	for _, y := range []string{
		minimal,
		minimal + "description: \"caf\u00e9 \\\\ ok\"\nuser: web\ngroup: daemons\n",
		minimal + "listen: [\"tcp:[::1]:80\", \"tcp::81\", \"tcp:0.0.0.0:82\", \"unix:/run/app/a.sock\"]\n",
		minimal + "type: notify\nwatchdog_sec: 8760h\nstop_timeout: 8760h\nrestart_sec: 0\n",
		minimal + "limits: {nofile: 2147483584, nice: \"0:40\", core: \"0:infinity\", memlock: 9223372036854775807}\n",
		minimal + "pidfile: /var/run/app/sub/app.pid\ntype: forking\nreload_signal: sigusr1\n",
		minimal + "after: []\nwants: []\nrequires: [a.service]\nhardening: strict\nrestart: always\n",
		minimal + "package:\n  version: 1.0\n  files:\n    - {src: a, dst: /usr/bin/app}\n    - {src: b, dst: /etc/app/app.conf, mode: 0600}\n  conffiles: [/etc/app/app.conf]\n",
	} {
		s, err := build(t, y)
		if err != nil {
			t.Errorf("%q: Build: %v", y, err)
			continue
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%q: Validate of a built spec: %v", y, err)
		}
	}
}
