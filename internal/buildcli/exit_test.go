package buildcli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/internal/cli"
)

// TestExitCodes checks the contract's exit codes through Main itself.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("name: app\nexec: /usr/bin/app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("name: app\nexec: relative\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(dir, "tmpl.yaml")
	if err := os.WriteFile(tmpl, []byte("name: app@\nexec: /usr/bin/app\nargs: [\"%i\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unsafe := filepath.Join(dir, "unsafe.yaml")
	if err := os.WriteFile(unsafe, []byte("name: app\nexec: /bin/sleep\nuser: nobody\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"version"}, cli.ExitOK, ""},
		{[]string{"gen", "systemd", "-f", good}, cli.ExitOK, ""},
		{[]string{"gen", "sysv", "-f", good}, cli.ExitOK, ""},
		{[]string{"gen", "systemd", "-f", bad}, cli.ExitUsage, bad + ":2: exec: \"relative\" must be an absolute path"},
		{[]string{"gen", "sysv", "-f", bad}, cli.ExitUsage, bad + ":2: exec:"},
		{[]string{"gen", "systemd", "--bogus"}, cli.ExitUsage, "unknown flag: --bogus"},
		{[]string{"gen", "systemd"}, cli.ExitUsage, "no spec"},
		{[]string{"gen", "systemd", "-f", filepath.Join(dir, "missing.yaml")}, cli.ExitUsage, "missing.yaml: cannot read the spec: no such file or directory"},
		{[]string{"gen", "systemd", "--name", "x", "--exec", "rel"}, cli.ExitUsage, `exec: "rel" must be an absolute path`},
		{[]string{"lint", "-f", bad}, cli.ExitUsage, "exec:"},
		{[]string{"gen", "systemd", "-f", good, "--service", "app"}, cli.ExitOK, ""},
		{[]string{"gen", "systemd", "-f", good, "--service", "other"}, cli.ExitUsage, `--service "other": the spec has no such service (it has app)`},
		{[]string{"gen", "systemd", "-f", good, "--service", "app", "-o", filepath.Join(dir, "out")}, cli.ExitUsage, "-o writes every service"},
		{[]string{"gen", "systemd", "-f", tmpl, "--service", "app@"}, cli.ExitOK, ""},
		{[]string{"gen", "sysv", "-f", tmpl, "--service", "app@"}, cli.ExitUsage, "gen sysv: app@ is a template service: it has no init script"},
		{[]string{"gen", "sysv", "-f", tmpl}, cli.ExitUsage, "gen sysv: app@ is a template service: it has no init script"},
		{[]string{"gen", "sysv", "-f", tmpl, "-o", filepath.Join(dir, "none")}, cli.ExitUsage, "every service of the spec is a template service"},
		// systemd-analyze verify calls User=nobody unsafe: an error finding.
		{[]string{"lint", "-f", unsafe}, lintVerifyCode(), ""},
		{[]string{"lint", "-f", tmpl}, cli.ExitOK, ""},
		{[]string{"nosuchcommand"}, cli.ExitUsage, `unknown command "nosuchcommand"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), c.args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), c.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), c.stderr)
			}
		})
	}
}

// lintVerifyCode is lint's exit code for a spec systemd-analyze verify
// finds fault with: 2 where systemd-analyze is installed, else 0.
func lintVerifyCode() int {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		return cli.ExitOK
	}
	return cli.ExitUsage
}
