// Package forward tests how the daemonctl executable hands the build
// commands to daemonctl-build, and that daemonctl stays lean.
package forward

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func goBuild(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

func run(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestForwarding: gen, lint and package reach daemonctl-build with their
// arguments, output and exit code intact, also through a symlink; without
// daemonctl-build they fail with a clear message.
func TestForwarding(t *testing.T) {
	dir := t.TempDir()
	dctl := filepath.Join(dir, "bin", "daemonctl")
	goBuild(t, dctl, "../../cmd/daemonctl")
	goBuild(t, filepath.Join(dir, "bin", "daemonctl-build"), "../../cmd/daemonctl-build")
	link := filepath.Join(dir, "daemonctl")
	if err := os.Symlink(dctl, link); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nexec: rel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{dctl, link} {
		out, errOut, code := run(t, bin, "gen", "systemd", "--name", "web", "--exec", "/usr/bin/web", "--", "a b", "100%")
		if code != 0 || !strings.Contains(out, `ExecStart=/usr/bin/web "a b" "100%%"`) {
			t.Errorf("%s gen systemd: exit %d, stdout %q, stderr %q", bin, code, out, errOut)
		}
	}
	if _, errOut, code := run(t, dctl, "gen", "sysv", "-f", bad); code != 2 || !strings.Contains(errOut, bad+`:2: exec: "rel" must be an absolute path`) {
		t.Errorf("bad spec: exit %d, stderr %q; want 2 and the file:line error", code, errOut)
	}
	if out, _, code := run(t, dctl, "gen", "--help"); code != 0 || !strings.Contains(out, "Generate <name>.service") {
		t.Errorf("gen --help: exit %d, stdout %q", code, out)
	}
	if out, _, code := run(t, dctl, "--help"); code != 0 || !strings.Contains(out, "package") || !strings.Contains(out, "run") {
		t.Errorf("--help does not list both kinds of commands: %q", out)
	}

	if err := os.Remove(filepath.Join(dir, "bin", "daemonctl-build")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, dctl, "gen", "systemd", "--name", "web", "--exec", "/usr/bin/web"); code != 1 || !strings.Contains(errOut, "daemonctl-build not found beside daemonctl") {
		t.Errorf("without daemonctl-build: exit %d, stderr %q", code, errOut)
	}
	// The runtime commands do not need it.
	if _, errOut, code := run(t, dctl, "status", "--pidfile", filepath.Join(dir, "none.pid")); code != 3 {
		t.Errorf("status without daemonctl-build: exit %d, stderr %q", code, errOut)
	}
}

// TestDaemonctlIsLean guards the start-time budget of `daemonctl run` and
// the angel's memory: the daemonctl executable links no template, YAML or
// packaging library (their package initialisation alone costs milliseconds).
func TestDaemonctlIsLean(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/daemonctl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, heavy := range []string{
		"github.com/goreleaser/nfpm/v2",
		"github.com/Masterminds/sprig/v3",
		"go.yaml.in/yaml/v3",
		"github.com/daemonctl/daemonctl/packaging",
		"github.com/daemonctl/daemonctl/spec",
	} {
		for _, dep := range strings.Fields(string(out)) {
			if dep == heavy {
				t.Errorf("cmd/daemonctl depends on %s", heavy)
			}
		}
	}
}
