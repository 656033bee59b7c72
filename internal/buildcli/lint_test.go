package buildcli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/internal/lint"
)

// TestLintEscapes: lint's report quotes the spec's path and the checkers'
// output, which quote the generated files and so the spec's arguments; no
// control byte from them reaches the terminal, and each finding stays on
// its own line.
func TestLintEscapes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "d\x1b[31m.yaml")
	if err := os.WriteFile(file, []byte("name: app\nexec: /bin/sleep\nargs: [\"\\e]0;title\\a\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tools := lint.Tools{
		LookPath: func(name string) (string, error) {
			if name == "systemd-analyze" || name == "shellcheck" {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not installed")
		},
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			path := args[len(args)-1]
			script, _ := os.ReadFile(path)
			if name == "shellcheck" {
				return append([]byte("In "+path+" line 1:\n"), script...), errors.New("exit status 1")
			}
			return []byte(path + ":1: odd \x1b[2J value\n" + path + ":2: second finding\n"), nil
		},
	}
	var out, errOut bytes.Buffer
	err := runLint(context.Background(), &lintOptions{spec: specFlags{file: file}, tools: tools}, cli.Stdio{Out: &out, Err: &errOut})
	if err == nil {
		t.Fatal("lint passed with findings")
	}
	report := out.String()
	if strings.ContainsFunc(report, func(r rune) bool { return r != '\n' && (r < 0x20 || r == 0x7f) }) {
		t.Errorf("control bytes in the lint report:\n%q", report)
	}
	escaped := strings.ReplaceAll(file, "\x1b", `\x1b`)
	for _, line := range strings.Split(strings.TrimSuffix(report, "\n"), "\n") {
		if !strings.HasPrefix(line, escaped+":") {
			t.Errorf("line does not start with the escaped spec path %q: %q", escaped, line)
		}
	}
	if !strings.Contains(report, "odd \\x1b[2J value\n") || !strings.Contains(report, ":2: second finding\n") {
		t.Errorf("findings not one per line:\n%s", report)
	}
}
