package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{[]string{"version"}, ExitOK, ""},
		{[]string{"gen", "systemd", "-f", good}, ExitOK, ""},
		{[]string{"gen", "sysv", "-f", good}, ExitOK, ""},
		{[]string{"gen", "systemd", "-f", bad}, ExitUsage, bad + ":2: exec: \"relative\" must be an absolute path"},
		{[]string{"gen", "sysv", "-f", bad}, ExitUsage, bad + ":2: exec:"},
		{[]string{"gen", "systemd", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{[]string{"gen", "systemd"}, ExitUsage, "no spec"},
		{[]string{"gen", "systemd", "-f", filepath.Join(dir, "missing.yaml")}, ExitFailure, "no such file"},
		{[]string{"gen", "systemd", "--name", "x", "--exec", "rel"}, ExitUsage, `exec: "rel" must be an absolute path`},
		{[]string{"lint", "-f", bad}, ExitUsage, "exec:"},
		{[]string{"nosuchcommand"}, ExitUsage, `unknown command "nosuchcommand"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), c.args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), c.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), c.stderr)
			}
		})
	}
}
