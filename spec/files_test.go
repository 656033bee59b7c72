package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestFileRules: package.files may not put a file where the system's own
// databases, privilege and start-up configuration live, outside the
// packages' trees, on a standard directory or on another entry's directory,
// and may not carry setuid, setgid or sticky bits. Each error names the
// entry's line.
func TestFileRules(t *testing.T) {
	file := func(dst, mode string) string {
		m := ""
		if mode != "" {
			m = ", mode: " + mode
		}
		return minimal + "package:\n  files:\n    - {src: a, dst: " + dst + m + "}\n"
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"passwd", file("/etc/passwd", ""), `daemon.yaml:5: package.files[0].dst: "/etc/passwd" is the system's account database`},
		{"shadow", file("/etc/shadow", ""), `daemon.yaml:5: package.files[0].dst: "/etc/shadow" is the system's account database`},
		{"group backup", file("/etc/group-", ""), `"/etc/group-" is the system's account database`},
		{"sysusers", file("/usr/lib/sysusers.d/x.conf", ""), `is the system's account database`},
		{"sudoers", file("/etc/sudoers", ""), `"/etc/sudoers" grants privileges`},
		{"sudoers.d", file("/etc/sudoers.d/app", ""), `"/etc/sudoers.d/app" grants privileges`},
		{"pam", file("/etc/pam.d/login", ""), `grants privileges`},
		{"ssh", file("/etc/ssh/sshd_config", ""), `grants privileges`},
		{"ld.so.preload", file("/etc/ld.so.preload", ""), `"/etc/ld.so.preload" is the dynamic linker's configuration`},
		{"ld.so.conf.d", file("/etc/ld.so.conf.d/app.conf", ""), `is the dynamic linker's configuration`},
		{"crontab", file("/etc/crontab", ""), `schedules commands`},
		{"cron.d", file("/etc/cron.d/app", ""), `schedules commands`},
		{"cron.daily", file("/etc/cron.daily/app", ""), `schedules commands`},
		{"profile.d", file("/etc/profile.d/app.sh", ""), `runs for every login shell`},
		{"init.d other", file("/etc/init.d/other", ""), `is the administrator's init configuration`},
		{"rc2.d", file("/etc/rc2.d/S01app", ""), `is the administrator's init configuration`},
		{"systemd admin", file("/etc/systemd/system/app.service", ""), `is the administrator's init configuration`},
		{"hosts", file("/etc/hosts", ""), `is the system's own configuration`},
		{"apt trust", file("/etc/apt/trusted.gpg.d/app.gpg", ""), `package managers' state`},
		{"usr/local", file("/usr/local/bin/app", ""), `is not the packages' tree`},
		{"var/tmp", file("/var/tmp/app", ""), `is not the packages' tree`},
		{"root home", file("/root/.bashrc", ""), `must be inside /usr/, /etc/`},
		{"tmp", file("/tmp/app", ""), `must be inside /usr/, /etc/`},
		{"top level", file("/app", ""), `"/app" must be inside /usr/, /etc/`},
		{"root", file("/", ""), `"/" must be inside /usr/, /etc/`},
		{"tree itself", file("/usr", ""), `"/usr" must be inside`},
		{"standard dir", file("/usr/bin", ""), `"/usr/bin" is a standard directory`},
		{"dotdot", file("/usr/bin/../../etc/passwd", ""), `must be a clean path`},
		{"trailing slash", file("/usr/bin/app/", ""), `must be a clean path`},
		{"relative", file("usr/bin/app", ""), `"usr/bin/app" must be an absolute path`},
		{"nested", minimal + "package:\n  files:\n    - {src: a, dst: /opt/app}\n    - {src: b, dst: /opt/app/x}\n",
			`daemon.yaml:5: package.files[0].dst: "/opt/app" is a directory of package.files[1] (/opt/app/x), it cannot also be a file`},
		{"setuid", file("/usr/bin/app", "04755"), `daemon.yaml:5: package.files[0].mode: 4755: setuid, setgid and sticky bits are refused`},
		{"setgid", file("/usr/bin/app", "2755"), `package.files[0].mode: 2755: setuid, setgid and sticky bits are refused`},
		{"sticky", file("/usr/bin/app", "1755"), `package.files[0].mode: 1755: setuid, setgid and sticky bits are refused`},
		{"world-writable", file("/usr/bin/app", "0757"), `package.files[0].mode: 0757: writable by group or others`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(t, c.yaml)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want spec.Errors containing %q", err, c.want)
			}
			if !strings.Contains(errs.Error(), c.want) {
				t.Errorf("got  %q\nwant %q", errs.Error(), c.want)
			}
		})
	}
	for _, dst := range []string{"/usr/bin/app", "/usr/sbin/app", "/usr/lib/app/plugin.so", "/opt/app/bin/app",
		"/etc/app/app.conf", "/etc/app.conf", "/etc/logrotate.d/app", "/var/lib/app/seed", "/usr/share/app/data",
		"/usr/lib/systemd/system/app-cleanup.timer", "/usr/lib/tmpfiles.d/app.conf", "/etc/default/app"} {
		if _, err := build(t, file(dst, "0755")); err != nil {
			t.Errorf("%s: %v", dst, err)
		}
	}
}

// TestEnvironmentFileShipped: a package ships the environment file, so
// CheckPackage holds it to the rules of package.files[].dst; a spec that is
// only rendered (gen) may point it anywhere.
func TestEnvironmentFileShipped(t *testing.T) {
	for _, c := range []struct{ path, want string }{
		{"/etc/passwd", `environment_file: "/etc/passwd" is the system's account database`},
		{"/etc/sudoers.d/app", `environment_file: "/etc/sudoers.d/app" grants privileges`},
		{"/run/app/env", `environment_file: "/run/app/env" must be inside /usr/, /etc/`},
	} {
		s, err := build(t, minimal+"environment_file: "+c.path+"\npackage:\n  version: \"1\"\n")
		if err != nil {
			t.Fatalf("%s: Build: %v (a rendered-only spec may use any path)", c.path, err)
		}
		err = s.CheckPackage()
		var errs Errors
		if !errors.As(err, &errs) || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("CheckPackage: got %v, want %q", err, c.want)
		}
	}
	s, err := build(t, minimal+"environment_file: /etc/app/env\npackage:\n  version: \"1\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPackage(); err != nil {
		t.Errorf("CheckPackage with /etc/app/env: %v", err)
	}
}

// A package adds its own units and drop-ins, never another service's, and
// no file in a place where root runs or loads it on system events.
func TestFileRulesUnitsAndHooks(t *testing.T) {
	for dst, ok := range map[string]bool{
		"/usr/lib/systemd/system/web.timer":               true,
		"/usr/lib/systemd/system/web@.service":            true,
		"/usr/lib/systemd/system/web-cleanup.service":     true,
		"/usr/lib/systemd/system/web.service.d/x.conf":    true,
		"/usr/lib/systemd/system/ssh.service":             false,
		"/lib/systemd/system/ssh.service.d/override.conf": false,
		"/usr/lib/systemd/system/webapp.service":          false,
		"/usr/lib/x86_64-linux-gnu/security/pam_x.so":     false,
		"/lib/security/pam_x.so":                          false,
		"/usr/lib/x86_64-linux-gnu/libweb.so.1":           true,
		"/etc/udev/rules.d/99-web.rules":                  false,
		"/usr/lib/systemd/system-generators/web":          false,
		"/etc/update-motd.d/50-web":                       false,
		"/usr/share/dbus-1/system.d/web.conf":             false,
		"/usr/share/web/data":                             true,
	} {
		_, err := build(t, "name: web\nexec: /usr/bin/web\npackage:\n  files:\n    - {src: a, dst: \""+dst+"\"}\n")
		if ok && err != nil {
			t.Errorf("%s: refused: %v", dst, err)
		}
		if !ok && err == nil {
			t.Errorf("%s: accepted", dst)
		}
	}
}
