package packaging_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
)

// v2Spec is a spec using the v2 keys packaging acts on, with the echod
// binary at bin: args_from_env, directories, owned files and directories,
// purge, logrotate, a second service and a template service.
func v2Spec(t *testing.T, bin string) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "echod.conf")
	if err := os.WriteFile(conf, []byte("greeting hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := `name: echod
description: daemonctl reference TCP echo daemon
exec: /usr/bin/echod
args: ["--listen", "127.0.0.1:7007"]
args_from_env: {ECHOD_OPTS: "--log /var/log/echod/echod.log"}
user: echod
state_directory: echod
logs_directory: echod
logs_directory_mode: "2750"
logrotate: {files: [/var/log/echod/*.log], method: reload, frequency: daily, rotate: 7}
services:
  - name: echod-worker
    description: echod worker
    exec: /usr/bin/echod
    args: ["--listen", "127.0.0.1:7008"]
    user: echod
  - name: echod-inst@
    description: echod instance %i
    exec: /usr/bin/echod
    args: ["--listen", "127.0.0.1:%i"]
    user: echod
package:
  version: 0.2.0
  maintainer: daemonctl developers <dev@daemonctl.invalid>
  license: MIT
  homepage: https://daemonctl.invalid/
  purge: [state, logs, configuration, account]
  files:
    - {src: ` + bin + `, dst: /usr/bin/echod}
    - {src: ` + conf + `, dst: /etc/echod/echod.conf, owner: root, group: echod, mode: "0640"}
  directories:
    - {path: /etc/echod, owner: root, group: echod, mode: "2750"}
`
	p := filepath.Join(dir, "daemon.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestV2PackagesLint runs lintian and rpmlint on the packages of v2Spec
// built with the real generators: no lintian error, and no rpmlint error
// but those inherent to what the spec asks (modes other than 0644/0755, a
// static binary, no signature).
func TestV2PackagesLint(t *testing.T) {
	if testing.Short() {
		t.Skip("lintian is slow")
	}
	bin, _ := goBinaries(t)
	pkgs := build(t, v2Spec(t, bin), packaging.Options{})
	ctrl := t.TempDir()
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		run(t, "dpkg-deb", "--control", pkgs[packaging.Deb], ctrl)
		conf, _ := os.ReadFile(filepath.Join(ctrl, "conffiles"))
		for _, want := range []string{"/etc/default/echod", "/etc/logrotate.d/echod", "/etc/init.d/echod-worker", "/etc/echod/echod.conf"} {
			if !strings.Contains(string(conf), want+"\n") {
				t.Errorf("conffiles lack %s:\n%s", want, conf)
			}
		}
		if strings.Contains(string(conf), "/etc/init.d/echod-inst") {
			t.Errorf("an init script for the template service:\n%s", conf)
		}
		list := run(t, "dpkg-deb", "--contents", pkgs[packaging.Deb])
		for _, want := range []string{"./lib/systemd/system/echod-inst@.service", "./lib/systemd/system/echod-worker.service", "drwxr-s--- root/echod"} {
			if !strings.Contains(list, want) {
				t.Errorf("deb contents lack %s:\n%s", want, list)
			}
		}
	}
	if _, err := exec.LookPath("lintian"); err == nil {
		out, _ := exec.Command("lintian", "--no-cfg", "--pedantic", pkgs[packaging.Deb]).CombinedOutput()
		t.Logf("lintian:\n%s", out)
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "E: ") {
				t.Errorf("lintian error: %s", l)
			}
		}
	}
	if _, err := exec.LookPath("rpmlint"); err == nil {
		cmd := exec.Command("rpmlint", pkgs[packaging.RPM])
		cmd.Dir = t.TempDir()
		out, _ := cmd.CombinedOutput()
		t.Logf("rpmlint:\n%s", out)
		accepted := map[string]bool{"no-signature": true, "statically-linked-binary": true, "non-standard-dir-perm": true, "non-readable": true}
		for _, l := range strings.Split(string(out), "\n") {
			if _, rest, ok := strings.Cut(l, ": E: "); ok {
				tag, _, _ := strings.Cut(rest, " ")
				if !accepted[tag] {
					t.Errorf("rpmlint error: %s", l)
				}
			}
		}
		if !bytes.Contains(out, []byte("packages and 0 specfiles checked")) {
			t.Fatalf("rpmlint did not run:\n%s", out)
		}
	}
}
