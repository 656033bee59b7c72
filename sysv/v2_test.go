package sysv

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// v2Cases are specs with the v2 keys, for the golden and syntax tests: an
// old spec with fields set, as spec.Config.Build will fill them.
func v2Cases(t testing.TB) map[string]*spec.Spec {
	full := build(t, spec.Config{
		Name: "full", Exec: "/usr/sbin/full", User: "full", Args: []string{"--config", "/etc/full.conf"},
		EnvironmentFile: "/etc/default/full",
	})
	full.Aliases = []string{"fulld", "full-server"}
	full.Documentation = []string{"man:full(8)", "https://example.org/full"}
	full.ArgsFromEnv = []spec.EnvVar{{Name: "FULL_OPTS", Value: "-m 64"}, {Name: "EXTRA"}}
	full.Directories = []spec.Directory{
		{Kind: spec.DirRuntime, Name: "full", Mode: 0o755},
		{Kind: spec.DirState, Name: "full", Mode: 0o750},
		{Kind: spec.DirState, Name: "full/db", Mode: 0o750},
		{Kind: spec.DirLogs, Name: "full", Mode: 0o2750},
		{Kind: spec.DirConfiguration, Name: "full", Mode: 0o755},
	}
	full.AmbientCapabilities = []string{"CAP_NET_BIND_SERVICE"}
	full.CapabilityBoundingSet = []string{"CAP_NET_BIND_SERVICE", "CAP_SYS_NICE"}
	full.UMask = "0027"
	full.Reload = spec.ReloadCommand
	full.ExecReload = []string{"/usr/sbin/full", "-s", "reload", "$HOME"}
	full.ExecStartPre = [][]string{{"/usr/sbin/full", "-t", "-q"}, {"/bin/true"}}
	full.KillMode = spec.KillControlGroup

	none := build(t, spec.Config{Name: "nonestop", Exec: "/usr/sbin/nonestop", User: "nonestop"})
	none.Reload = spec.ReloadNone
	none.StopTimeoutInfinite = true
	none.KillMode = spec.KillMixed
	none.ExecStartPre = [][]string{{"/usr/sbin/nonestop", "--check"}}
	none.CapabilityBoundingSet = []string{}

	nokill := build(t, spec.Config{Name: "nokill", Exec: "/usr/sbin/nokill"})
	nokill.SendSIGKILL = false
	nokill.KillMode = spec.KillMixed

	nokillcg := build(t, spec.Config{Name: "nokillcg", Exec: "/usr/sbin/nokillcg"})
	nokillcg.SendSIGKILL = false
	nokillcg.KillMode = spec.KillControlGroup

	infcg := build(t, spec.Config{Name: "infcg", Exec: "/usr/sbin/infcg"})
	infcg.StopTimeoutInfinite = true
	infcg.KillMode = spec.KillControlGroup
	return map[string]*spec.Spec{"v2-full": full, "v2-none": none, "v2-nokill": nokill, "v2-nokillcg": nokillcg, "v2-infcg": infcg}
}

// TestTemplateService: no init script for a template; AllFiles skips it.
func TestTemplateService(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	main := build(t, spec.Config{Name: "main", Exec: "/usr/bin/main"})
	tmpl := build(t, spec.Config{Name: "main", Exec: "/usr/bin/main"})
	tmpl.Name = "inst@"
	var buf bytes.Buffer
	if err := g.Script(&buf, tmpl); !errors.Is(err, ErrTemplate) || buf.Len() != 0 {
		t.Fatalf("Script(template) = %v, %d bytes; want ErrTemplate and nothing", err, buf.Len())
	}
	second := build(t, spec.Config{Name: "second", Exec: "/usr/bin/second"})
	main.Extra = []*spec.Spec{tmpl, second}
	files, err := g.AllFiles(main)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "main second" {
		t.Fatalf("AllFiles names %v, want main second", names)
	}
	if !bytes.Equal(files[1].Data, render(t, second)) {
		t.Error("AllFiles data differs from Script output")
	}
}

// TestV2Header: aliases in Provides, documentation as comment lines; the
// homepage default gives none.
func TestV2Header(t *testing.T) {
	script := string(render(t, v2Cases(t)["v2-full"]))
	for _, want := range []string{
		"\n# Provides:          full fulld full-server\n",
		"\n# Documentation: man:full(8)\n# Documentation: https://example.org/full\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	s := build(t, spec.Config{Name: "home", Exec: "/usr/bin/home"})
	old := string(render(t, s))
	s.Package.Homepage = "https://example.org/home"
	s.Documentation = []string{s.Package.Homepage}
	if got := string(render(t, s)); got != old {
		t.Errorf("the homepage default changed the script:\n%s", firstDiff(old, got))
	}
}

// TestV2Reject: values of v2 keys the generator refuses on its own.
func TestV2Reject(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*spec.Spec)
		want   string
	}{
		{"alias", func(s *spec.Spec) { s.Aliases = []string{"a b"} }, "alias[0]"},
		{"documentation", func(s *spec.Spec) { s.Documentation = []string{"man:x\n### END INIT INFO"} }, "documentation[0]"},
		{"args_from_env", func(s *spec.Spec) { s.ArgsFromEnv = []spec.EnvVar{{Name: "A;B"}} }, "args_from_env.A;B"},
		{"args_from_env special", func(s *spec.Spec) { s.ArgsFromEnv = []spec.EnvVar{{Name: "IFS"}} }, "args_from_env.IFS"},
		{"directory", func(s *spec.Spec) { s.Directories = []spec.Directory{{Kind: spec.DirState, Name: "../etc"}} }, "directories[0]"},
		{"directory quote", func(s *spec.Spec) { s.Directories = []spec.Directory{{Kind: spec.DirState, Name: "a'b"}} }, "directories[0]"},
		{"capability", func(s *spec.Spec) { s.AmbientCapabilities = []string{"CAP_NOPE,+all"} }, "ambient_capabilities"},
		{"umask", func(s *spec.Spec) { s.UMask = "0o27; id" }, "umask"},
		{"exec_reload", func(s *spec.Spec) { s.Reload, s.ExecReload = spec.ReloadCommand, []string{"nginx"} }, "exec_reload"},
		{"exec_start_pre", func(s *spec.Spec) { s.ExecStartPre = [][]string{{"/bin/x", "a\x00"}} }, "exec_start_pre[0][1]"},
		{"kill_mode", func(s *spec.Spec) { s.KillMode = "none" }, "kill_mode"},
	}
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		s := build(t, spec.Config{Name: "rej", Exec: "/usr/bin/rej", User: "rej"})
		tt.mutate(s)
		var buf bytes.Buffer
		err := g.Script(&buf, s)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want+":") {
			t.Errorf("%s: err = %v, want ErrUnsafe naming %s", tt.name, err, tt.want)
		}
	}
}
