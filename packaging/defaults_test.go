package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// TestDefaultsFileIsCommentedOut: the shipped environment file lists the
// spec's variables as comments, whatever their values (multi-line values,
// quotes, $), so that sourcing it with sh sets nothing and fails nothing.
func TestDefaultsFileIsCommentedOut(t *testing.T) {
	b, err := New(Generators{Systemd: fakeGen{}, SysV: fakeGen{sysv: true}})
	if err != nil {
		t.Fatal(err)
	}
	env := []spec.EnvVar{
		{Name: "PLAIN", Value: "x"},
		{Name: "MULTI", Value: "first\nsecond\" ; touch /tmp/pwned\r\nthird"},
		{Name: "ODD", Value: "$HOME `id` 'q' \\"},
	}
	out, err := b.render("pkg-defaults.tmpl", envFile{Name: "svc", Package: "svc", Single: true, InitScript: "/etc/init.d/svc", Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if !strings.HasPrefix(line, "#") {
			t.Errorf("line %d is not a comment: %q", i+1, line)
		}
	}
	file := filepath.Join(t.TempDir(), "svc")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"dash", "bash", "busybox"} {
		if _, err := exec.LookPath(shell); err != nil {
			continue
		}
		args := []string{"-c", `set -eu; . "$1"; echo "${PLAIN-unset} ${MULTI-unset}"`, "sh", file}
		if shell == "busybox" {
			args = append([]string{"sh"}, args...)
		}
		got, err := exec.Command(shell, args...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(got)) != "unset unset" {
			t.Errorf("%s sourcing the file: %v: %q", shell, err, got)
		}
	}
}
