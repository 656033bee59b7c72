package packaging_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goreleaser/nfpm/v2"
)

// TestNFPMYAML loads the top-level nfpm.yaml (which packages daemonctl
// itself) with nfpm's own config loader and builds its .deb, as the nfpm
// command line would, from a copy of the files it names.
func TestNFPMYAML(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"LICENSE", "README.md", "examples/echod/daemon.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin, _ := goBinaries(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"build/daemonctl", "build/daemonctl-build"} {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	config, err := nfpm.ParseFileWithEnvMapping("../nfpm.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("nfpm.yaml: %v", err)
	}
	t.Chdir(root) // nfpm resolves contents against the working directory
	for _, format := range []string{"deb", "rpm"} {
		info, err := config.Get(format)
		if err != nil {
			t.Fatal(err)
		}
		info = nfpm.WithDefaults(info)
		if err := nfpm.Validate(info); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		p, err := nfpm.Get(format)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.Package(info, &buf); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := filepath.Join(root, p.ConventionalFileName(info))
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if format != "deb" {
			continue
		}
		if filepath.Base(out) != "daemonctl_0.1.0-1_amd64.deb" {
			t.Errorf("deb named %s", filepath.Base(out))
		}
		if _, err := exec.LookPath("dpkg-deb"); err != nil {
			continue
		}
		contents, err := exec.Command("dpkg-deb", "--contents", out).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb --contents: %v\n%s", err, contents)
		}
		for _, want := range []string{"-rwxr-xr-x root/root", "./usr/bin/daemonctl", "./usr/libexec/daemonctl/daemonctl-build", "./usr/share/doc/daemonctl/copyright"} {
			if !strings.Contains(string(contents), want) {
				t.Errorf("deb lacks %q:\n%s", want, contents)
			}
		}
	}
}
