package sysv

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// TestRejectBySpecRules: for a Spec built by hand the generator applies
// spec's own rules (spec.ValidDescription, spec.ValidPath,
// spec.ValidAccount), not a looser copy: what spec would refuse never
// reaches a script, and the description's default is spec's alone.
func TestRejectBySpecRules(t *testing.T) {
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		mutate func(*spec.Spec)
		want   string
	}{
		"empty description":    {func(s *spec.Spec) { s.Description = "" }, "description"},
		"blank description":    {func(s *spec.Spec) { s.Description = " " }, "description"},
		"path with dollar":     {func(s *spec.Spec) { s.WorkingDirectory = "/srv/$HOME" }, "working_directory"},
		"unclean path":         {func(s *spec.Spec) { s.Exec = "/usr//bin/x" }, "exec"},
		"account too long":     {func(s *spec.Spec) { s.User = strings.Repeat("u", spec.MaxAccountLen+1) }, "user"},
		"limit three numbers":  {func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "core", Value: "1:2:3"}} }, "limits.core"},
		"limit infinity first": {func(s *spec.Spec) { s.Limits = []spec.Limit{{Name: "core", Value: "infinity:1"}} }, "limits.core"},
	} {
		s := build(t, spec.Config{Name: "rules", Exec: "/usr/bin/rules", User: "rules"})
		tt.mutate(s)
		var buf bytes.Buffer
		err := g.Script(&buf, s)
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want+":") || buf.Len() != 0 {
			t.Errorf("%s: err = %v (%d bytes written), want ErrUnsafe naming %s", name, err, buf.Len(), tt.want)
		}
	}
}
