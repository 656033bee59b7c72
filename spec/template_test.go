package spec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTemplateDefaults: a template service's paths derive from its base
// name, with one runtime directory per instance.
func TestTemplateDefaults(t *testing.T) {
	s, err := build(t, "name: redis-server@\nexec: /usr/bin/redis-server\nargs: [/etc/redis/%i.conf]\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"BaseName", s.BaseName(), "redis-server"},
		{"PIDFile", s.PIDFile, "/run/redis-server-%i/redis-server.pid"},
		{"EnvironmentFile", s.EnvironmentFile, "/etc/default/redis-server"},
		{"RuntimeDirectory", s.RuntimeDirectory(), "/run/redis-server-%i"},
		{"Description", s.Description, "redis-server@%i"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !s.IsTemplate() {
		t.Error("IsTemplate() = false")
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// A template's runtime directory is per instance: a shared one is not its own.
	s.PIDFile = "/run/redis-server/redis-server.pid"
	if d := s.RuntimeDirectory(); d != "" {
		t.Errorf("RuntimeDirectory for a pidfile shared by instances = %q, want \"\"", d)
	}
	plain, err := build(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	if plain.BaseName() != "app" || plain.IsTemplate() {
		t.Errorf("plain service: BaseName %q, IsTemplate %v", plain.BaseName(), plain.IsTemplate())
	}
}

func TestTemplateNames(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"@", `daemon.yaml:1: name: a template name needs a base before the @`},
		{"a@b", `daemon.yaml:1: name: "a@b" must match [a-z0-9][a-z0-9._-]*, followed by @ for a template service`},
		{"a@@", `daemon.yaml:1: name: "a@@" must match`},
	} {
		_, err := build(t, "name: \""+c.name+"\"\nexec: /x\n")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("name %q: got %v, want prefix %q", c.name, err, c.want)
		}
	}
}

func TestHelperLists(t *testing.T) {
	caps := Capabilities()
	if len(caps) != 41 || caps[0] != "CAP_CHOWN" || caps[10] != "CAP_NET_BIND_SERVICE" || caps[21] != "CAP_SYS_ADMIN" || caps[40] != "CAP_CHECKPOINT_RESTORE" {
		t.Errorf("Capabilities: %d names, %q", len(caps), caps)
	}
	for in, want := range map[string]string{"net_bind_service": "CAP_NET_BIND_SERVICE", "CAP_KILL": "CAP_KILL", "cap_bpf": "CAP_BPF"} {
		if got, ok := CanonicalCapability(in); !ok || got != want {
			t.Errorf("CanonicalCapability(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := CanonicalCapability("CAP_FLY"); ok {
		t.Error("CanonicalCapability accepted CAP_FLY")
	}
	d := HardeningDirectives()
	if len(d) != 33 || d[0] != "NoNewPrivileges" || !slices.Contains(d, "ProcSubset") || slices.Contains(d, "CapabilityBoundingSet") || slices.Contains(d, "UMask") {
		t.Errorf("HardeningDirectives: %q", d)
	}
	// The directives the levels emit come in the order the unit's template writes them.
	tmpl, err := os.ReadFile(filepath.Join("..", "templates", "systemd-hardening.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var inTemplate []string
	for _, line := range strings.Split(string(tmpl), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && slices.Contains(d, k) && !slices.Contains(inTemplate, k) {
			inTemplate = append(inTemplate, k)
		}
	}
	if !slices.Equal(inTemplate, d[:len(inTemplate)]) {
		t.Errorf("HardeningDirectives order %q, template order %q", d, inTemplate)
	}
	seen := map[string]bool{}
	for _, x := range append(d, caps...) {
		if seen[x] {
			t.Errorf("duplicate %q", x)
		}
		seen[x] = true
	}
}
