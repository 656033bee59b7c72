package packaging

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// oldSpecs are specs without any v2 key: what they package (file list with
// owners, modes and types, and every maintainer script) is pinned by golden
// files written before spec v2, so that v2 cannot change them.
func oldSpecs(t *testing.T) map[string]*spec.Spec {
	t.Helper()
	no := false
	bin := filepath.Join(t.TempDir(), "echod")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	withFile := func(c *spec.Config) {
		c.Package.Files = []spec.FileConfig{{Src: bin, Dst: "/usr/bin/echod"}}
	}
	return map[string]*spec.Spec{
		"account": testSpec(t, func(c *spec.Config) {
			withFile(c)
			c.Environment = []spec.EnvVar{{Name: "GREETING", Value: "hello \"you\" $HOME"}}
		}),
		"group-socket": testSpec(t, func(c *spec.Config) {
			withFile(c)
			c.Group = "daemons"
			c.Listen = []string{"unix:/run/echod/echod.sock"}
		}),
		"root": testSpec(t, func(c *spec.Config) { withFile(c); c.User = "" }),
		"no-enable-start": testSpec(t, func(c *spec.Config) {
			withFile(c)
			c.User = ""
			c.Package.Enable, c.Package.Start = &no, &no
		}),
		"pidfile-elsewhere": testSpec(t, func(c *spec.Config) { withFile(c); c.PIDFile = "/var/run/echod.d/pid" }),
	}
}

// snapshot renders what the package of s holds per format: the file list
// and the maintainer scripts.
func snapshot(t *testing.T, b *Builder, s *spec.Spec) string {
	t.Helper()
	st, err := b.stage(context.Background(), s, Options{ModTime: DefaultModTime()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.cleanup()
	var out strings.Builder
	for _, f := range Formats() {
		fmt.Fprintf(&out, "=== %s files\n", f)
		for _, c := range st.contents(f) {
			fmt.Fprintf(&out, "%s %s %s:%s %04o\n", c.Destination, c.Type, c.FileInfo.Owner, c.FileInfo.Group, uint32(c.FileInfo.Mode))
		}
		for _, c := range st.contents(f) {
			if !strings.HasPrefix(c.Source, st.dir) || strings.HasSuffix(c.Source, ".gz") {
				continue
			}
			data, err := os.ReadFile(c.Source)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "=== %s %s\n%s", f, c.Destination, data)
		}
		sc := st.scripts[f]
		for _, p := range []struct{ name, path string }{{"pre", sc.pre}, {"post", sc.post}, {"preun", sc.preun}, {"postun", sc.postun}} {
			if p.path == "" {
				continue
			}
			data, err := os.ReadFile(p.path)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "=== %s %s\n%s", f, p.name, data)
		}
	}
	return out.String()
}

// TestOldSpecsUnchanged compares the snapshot of every old spec with its
// golden file (go test ./packaging -run TestOldSpecsUnchanged -update
// rewrites them).
func TestOldSpecsUnchanged(t *testing.T) {
	b := testBuilder(t)
	for name, s := range oldSpecs(t) {
		got := snapshot(t, b, s)
		golden := filepath.Join("testdata", "golden", name+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s: the package of an old spec changed:\n%s", name, lineDiff(string(want), got))
		}
	}
}

// lineDiff lists the lines of want and got that differ, position by position.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			fmt.Fprintf(&out, "line %d:\n- %s\n+ %s\n", i+1, a, b)
		}
	}
	return out.String()
}
