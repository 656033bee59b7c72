package buildcli

import (
	"bytes"
	"context"
	"os"
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
