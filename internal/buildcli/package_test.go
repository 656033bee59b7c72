package buildcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/internal/cli"
)

const packageSpec = `name: hello
exec: /usr/bin/hello
user: hello
package:
  version: 1.2.3
  arch: amd64
  files:
    - src: hello.bin
      dst: /usr/bin/hello
`

// packageRun writes spec (with a program next to it unless noBin) and runs
// daemonctl package with args; it returns the exit code, stdout, stderr
// and the output directory.
func packageRun(t *testing.T, specText string, args ...string) (int, string, string, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "daemon.yaml"), []byte(specText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.bin"), []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dist")
	var stdout, stderr bytes.Buffer
	full := append([]string{"package", "-f", filepath.Join(dir, "daemon.yaml"), "-o", out}, args...)
	code := Main(context.Background(), full, cli.Stdio{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
	return code, stdout.String(), stderr.String(), out
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPackageAll(t *testing.T) {
	code, stdout, stderr, out := packageRun(t, packageSpec)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"hello-1.2.3-1.x86_64.rpm", "hello_1.2.3-1_amd64.deb"}
	if got := listDir(t, out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files = %q, want %q", got, want)
	}
	if stdout != filepath.Join(out, want[1])+"\n"+filepath.Join(out, want[0])+"\n" {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestPackageOneFormat(t *testing.T) {
	for format, want := range map[string]string{"deb": "hello_1.2.3-1_amd64.deb", "rpm": "hello-1.2.3-1.x86_64.rpm"} {
		code, _, stderr, out := packageRun(t, packageSpec, "--format", format)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if got := listDir(t, out); len(got) != 1 || got[0] != want {
			t.Errorf("%s: files = %q, want %s", format, got, want)
		}
	}
}

func TestPackageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		args       []string
		stderr     string // regexp
	}{
		{"bad format", packageSpec, []string{"--format", "apk"}, `unknown package format "apk"`},
		{"no version", strings.Replace(packageSpec, "  version: 1.2.3\n", "", 1), nil,
			`daemon.yaml:5: package.version: is required to build a package`},
		{"missing src", strings.Replace(packageSpec, "hello.bin", "nothere", 1), nil,
			`daemon.yaml:8: package.files\[0\].src: cannot read .*/nothere: no such file or directory`},
		{"bad spec", strings.Replace(packageSpec, "exec: /usr/bin/hello", "exec: usr/bin/hello", 1), nil,
			`daemon.yaml:2: exec: "usr/bin/hello" must be an absolute path`},
		{"unshipped conffile", packageSpec + "  conffiles: [/etc/hello.conf]\n", nil,
			`daemon.yaml:10: package.conffiles\[0\]: "/etc/hello.conf" is not a file the package ships`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr, out := packageRun(t, tc.spec, tc.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, cli.ExitUsage, stderr)
			}
			if !regexp.MustCompile(tc.stderr).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tc.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q", stdout)
			}
			if got := listDir(t, out); len(got) > 0 {
				t.Errorf("left in the output directory: %q", got)
			}
		})
	}
}
