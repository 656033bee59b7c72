package packaging

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// systemdEnvFile reads an environment file the way systemd's
// EnvironmentFile= does (systemd.exec(5); env-file parsing): comments
// start with # or ;, values may be single- or double-quoted, in double
// quotes a backslash escapes \ " ` $ (and is kept before anything else),
// a backslash-newline is removed; unquoted trailing white space is dropped.
func systemdEnvFile(text string) map[string]string {
	out := map[string]string{}
	const (
		preKey = iota
		key
		preValue
		value
		valueEsc
		single
		double
		doubleEsc
		comment
	)
	state := preKey
	var k, v strings.Builder
	trail := -1
	push := func() {
		val := v.String()
		if trail >= 0 {
			val = val[:trail]
		}
		out[strings.TrimSpace(k.String())] = val
		k.Reset()
		v.Reset()
		trail = -1
	}
	for _, c := range text {
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case !strings.ContainsRune(" \t\n\r", c):
				state = key
				k.WriteRune(c)
			}
		case key:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				k.Reset()
			case c == '=':
				state = preValue
			default:
				k.WriteRune(c)
			}
		case preValue:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				push()
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '\\':
				state = valueEsc
			case !strings.ContainsRune(" \t", c):
				state = value
				v.WriteRune(c)
			}
		case value:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				push()
			case c == '\\':
				state = valueEsc
				trail = -1
			default:
				if strings.ContainsRune(" \t", c) {
					if trail < 0 {
						trail = v.Len()
					}
				} else {
					trail = -1
				}
				v.WriteRune(c)
			}
		case valueEsc:
			state = value
			if c != '\n' && c != '\r' {
				v.WriteRune(c)
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteRune(c)
			}
		case double:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEsc
			default:
				v.WriteRune(c)
			}
		case doubleEsc:
			state = double
			switch {
			case strings.ContainsRune("\"\\`$", c):
				v.WriteRune(c)
			case c != '\n':
				v.WriteRune('\\')
				v.WriteRune(c)
			}
		case comment:
			if c == '\n' || c == '\r' {
				state = preKey
			}
		}
	}
	if state != preKey && state != key && state != comment {
		push()
	}
	return out
}

// TestEnvFileArgsFromEnv: every args_from_env variable is an active line
// whose value dash (sourcing the file) and systemd's rules (the parser
// above) both read as the spec's default, whatever the value holds.
func TestEnvFileArgsFromEnv(t *testing.T) {
	b := testBuilder(t)
	args := []spec.EnvVar{
		{Name: "MEMCACHED_OPTS", Value: "-m 64 -p 11211"},
		{Name: "EMPTY", Value: ""},
		{Name: "ODD", Value: `a "b" $HOME ${X} ` + "`id`" + ` \n \\ 'q' # ; x\y  `},
		{Name: "LINES", Value: "first\nsecond\r\nthird\\"},
		{Name: "UNICODE", Value: "é ü –"},
	}
	s := testSpec(t, func(c *spec.Config) {
		c.Environment = []spec.EnvVar{{Name: "GREETING", Value: "hi"}}
	})
	s.ArgsFromEnv = args
	e := environmentFiles(s)
	if len(e) != 1 {
		t.Fatalf("environment files: %+v", e)
	}
	out, err := b.render("pkg-defaults.tmpl", e[0])
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	sd := systemdEnvFile(string(out))
	for _, v := range args {
		if got, ok := sd[v.Name]; !ok || got != v.Value {
			t.Errorf("systemd reads %s as %q (set: %v), want %q", v.Name, got, ok, v.Value)
		}
		cmd := exec.Command("dash", "-c", `set -eu; . "$1"; eval "printf %s \"\${$2}\""`, "sh", file, v.Name)
		got, err := cmd.Output()
		if err != nil || string(got) != v.Value {
			t.Errorf("dash reads %s as %q (%v), want %q", v.Name, got, err, v.Value)
		}
	}
	if _, ok := sd["GREETING"]; ok {
		t.Errorf("the compiled-in default became an active line:\n%s", out)
	}
	// Not UTF-8: systemd would ignore the line, sh would not; spec refuses it.
	s.ArgsFromEnv = []spec.EnvVar{{Name: "BAD", Value: "\xff"}}
	if err := s.Validate(); err == nil {
		t.Error("a default that is not UTF-8 was accepted")
	}
}

// TestLogrotate runs the real logrotate on the generated configuration:
// -d parses it, then a forced rotation of a temporary log as "nobody" (su
// and create), whose postrotate reloads the service through a recording
// systemctl only when systemd runs.
func TestLogrotate(t *testing.T) {
	if _, err := exec.LookPath("logrotate"); err != nil {
		t.Skip("logrotate not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("su and create need root")
	}
	b := testBuilder(t)
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logs := filepath.Join(dir, "log")
	root := filepath.Join(dir, "root")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{logs, root + "/run/systemd/system", bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(logs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\necho \"systemctl $*\" >>"+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := testSpec(t, func(c *spec.Config) { c.User = "nobody"; c.Group = "nogroup" })
	s.LogRotate = &spec.LogRotate{Files: []string{logs + "/*.log"}, Method: spec.RotateReload, Frequency: "weekly", Rotate: 3, Compress: true, Mode: 0o640}
	s.Package.Directories = []spec.PackageDir{{Path: logs, Owner: "nobody", Group: "nogroup", Mode: 0o755}}
	d := logrotateFor(s, s, "/etc/init.d/echod")
	d.Root = root
	conf, err := b.render("pkg-logrotate.tmpl", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"su nobody nogroup", "create 0640 nobody nogroup", "missingok", "notifempty", "delaycompress", "rotate 3", "weekly"} {
		if !bytes.Contains(conf, []byte("\n    "+want+"\n")) {
			t.Errorf("logrotate configuration lacks %q:\n%s", want, conf)
		}
	}
	cf := filepath.Join(dir, "echod.conf")
	if err := os.WriteFile(cf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("logrotate", "-d", "-s", filepath.Join(dir, "state"), cf).CombinedOutput(); err != nil || bytes.Contains(out, []byte("error")) {
		t.Fatalf("logrotate -d: %v\n%s", err, out)
	}
	log := filepath.Join(logs, "echod.log")
	path := bin + ":/usr/sbin:/usr/bin:/sbin:/bin"
	rotate := func() {
		t.Helper()
		if err := os.WriteFile(log, []byte("a line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("logrotate", "-f", "-s", filepath.Join(dir, "state"), cf)
		cmd.Env = []string{"PATH=" + path}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("logrotate -f: %v\n%s", err, out)
		}
	}
	rotate()
	rotate()
	for name, want := range map[string]bool{"echod.log": true, "echod.log.1": true, "echod.log.2.gz": true} {
		fi, err := os.Stat(filepath.Join(logs, name))
		if (err == nil) != want {
			t.Errorf("%s: %v", name, err)
		}
		if name == "echod.log" && err == nil {
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("new log mode %v, want 0640", fi.Mode().Perm())
			}
		}
	}
	got, _ := os.ReadFile(calls)
	if want := "systemctl reload echod.service\nsystemctl reload echod.service\n"; string(got) != want {
		t.Errorf("postrotate ran %q, want %q", got, want)
	}
	// SysV, no invoke-rc.d: the init script reloads only a running service.
	if err := os.RemoveAll(filepath.Join(root, "run/systemd")); err != nil {
		t.Fatal(err)
	}
	initScript := filepath.Join(root, "etc/init.d/echod")
	if err := os.MkdirAll(filepath.Dir(initScript), 0o755); err != nil {
		t.Fatal(err)
	}
	status := filepath.Join(dir, "running")
	if err := os.WriteFile(initScript, []byte("#!/bin/sh\necho \"init $*\" >>"+calls+"\n[ \"$1\" != status ] || [ -e "+status+" ]\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path = bin
	_ = os.Remove(calls)
	rotate()
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rotate()
	got, _ = os.ReadFile(calls)
	if want := "init status\ninit status\ninit reload\n"; string(got) != want {
		t.Errorf("SysV postrotate ran %q, want %q", got, want)
	}
	// copytruncate: no create, no postrotate.
	s.LogRotate.Method = spec.RotateCopyTruncate
	conf, err = b.render("pkg-logrotate.tmpl", logrotateFor(s, s, "/etc/init.d/echod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(conf, []byte("\n    copytruncate\n")) || bytes.Contains(conf, []byte("create")) || bytes.Contains(conf, []byte("postrotate")) {
		t.Errorf("copytruncate configuration:\n%s", conf)
	}
}

// TestOwnersAndDirectories builds real packages: package.files owners and
// package.directories (setgid kept) are in the deb's tar and the rpm's
// header; the deb gets a preinst that creates the accounts before unpack.
func TestOwnersAndDirectories(t *testing.T) {
	b := testBuilder(t)
	src := filepath.Join(t.TempDir(), "conf")
	if err := os.WriteFile(src, []byte("x\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	s := testSpec(t, func(c *spec.Config) {
		c.Package.Files = []spec.FileConfig{{Src: src, Dst: "/etc/echod/echod.conf"}}
	})
	s.Package.Files[0].Owner, s.Package.Files[0].Group, s.Package.Files[0].Mode = "root", "echod", 0o640
	s.Package.Directories = []spec.PackageDir{{Path: "/etc/echod", Owner: "echod", Group: "echod", Mode: 0o2770}, {Path: "/var/lib/echod", Owner: "echod", Mode: fs.ModeSetgid | 0o750}}
	s.LogRotate = &spec.LogRotate{Files: []string{"/var/log/echod/*.log"}, Method: spec.RotateReload, Frequency: "daily", Rotate: 7, Compress: true, Mode: 0o640}
	dir := t.TempDir()
	if d := os.Getenv("DAEMONCTL_KEEP_PKG"); d != "" {
		dir = d
	}
	for _, f := range Formats() {
		out, err := os.Create(filepath.Join(dir, "pkg."+string(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Package(context.Background(), s, f, out, Options{ModTime: DefaultModTime()}); err != nil {
			t.Fatal(err)
		}
		out.Close()
	}
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		out, err := exec.Command("dpkg-deb", "--contents", filepath.Join(dir, "pkg.deb")).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb: %v\n%s", err, out)
		}
		for _, want := range []string{"drwxrws--- echod/echod", "-rw-r----- root/echod", "drwxr-s--- echod/echod", "-rw-r--r-- root/root"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("deb contents lack %q:\n%s", want, out)
			}
		}
		info, _ := exec.Command("dpkg-deb", "--info", filepath.Join(dir, "pkg.deb")).CombinedOutput()
		if !bytes.Contains(info, []byte(" preinst ")) {
			t.Errorf("no preinst:\n%s", info)
		}
		ctrl := t.TempDir()
		if out, err := exec.Command("dpkg-deb", "--control", filepath.Join(dir, "pkg.deb"), ctrl).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		conf, _ := os.ReadFile(filepath.Join(ctrl, "conffiles"))
		if !bytes.Contains(conf, []byte("/etc/logrotate.d/echod\n")) {
			t.Errorf("logrotate file is not a conffile: %s", conf)
		}
	}
	if _, err := exec.LookPath("rpm"); err == nil {
		out, err := exec.Command("rpm", "-qplv", "--nosignature", filepath.Join(dir, "pkg.rpm")).CombinedOutput()
		if err != nil {
			t.Fatalf("rpm: %v\n%s", err, out)
		}
		for _, want := range []string{"drwxrws---    2 echod    echod", "-rw-r-----    1 root     echod", "drwxr-s---    2 echod    echod"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("rpm file list lacks %q:\n%s", want, out)
			}
		}
	}
}

// multiSpec is a package of three services: echod (account echod), a
// second one as "worker" in group echod, and a template service.
func multiSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s := testSpec(t, nil)
	worker := testSpec(t, func(c *spec.Config) { c.Name = "echod-worker"; c.User = "worker"; c.Group = "echod" })
	tmpl := testSpec(t, func(c *spec.Config) { c.Name = "echod-inst"; c.User = "echod" })
	tmpl.Name = "echod-inst@"
	worker.Package, tmpl.Package = spec.Package{}, spec.Package{}
	s.Extra = []*spec.Spec{worker, tmpl}
	return s
}

// TestMultiServiceScripts: every non-template service is enabled, started,
// restarted, stopped and disabled; the template is never enabled or
// started, its running instances are restarted on upgrade and stopped on
// removal; each account is created once.
func TestMultiServiceScripts(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, multiSpec(t), debSystemd)
	eq(t, "install", h.run("postinst", "configure", ""), []string{
		"getent group echod", "groupadd --system echod", "getent passwd echod",
		"useradd --system --gid echod --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod echod",
		"getent passwd worker",
		"useradd --system --gid echod --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod-worker worker",
		"deb-systemd-helper unmask echod.service",
		"deb-systemd-helper --quiet was-enabled echod.service",
		"deb-systemd-helper enable echod.service",
		"deb-systemd-helper unmask echod-worker.service",
		"deb-systemd-helper --quiet was-enabled echod-worker.service",
		"deb-systemd-helper enable echod-worker.service",
		"update-rc.d echod defaults",
		"update-rc.d echod-worker defaults",
		"systemctl --system daemon-reload",
		"deb-systemd-invoke start echod.service",
		"deb-systemd-invoke start echod-worker.service",
	})
	got := h.run("postinst", "configure", "1.0")
	eq(t, "upgrade", got[len(got)-4:], []string{
		"systemctl --system daemon-reload",
		"systemctl try-restart echod-inst@*.service",
		"deb-systemd-invoke restart echod.service",
		"deb-systemd-invoke restart echod-worker.service",
	})
	eq(t, "remove", h.run("prerm", "remove"), []string{
		"deb-systemd-invoke stop echod.service",
		"deb-systemd-invoke stop echod-worker.service",
		"systemctl stop echod-inst@*.service",
	})

	h = newHost(t, b, multiSpec(t), debSysV)
	got = h.run("postinst", "configure", "")
	eq(t, "sysv install", got[len(got)-2:], []string{"invoke-rc.d echod start", "invoke-rc.d echod-worker start"})
	eq(t, "sysv remove", h.run("prerm", "remove"), []string{"invoke-rc.d echod stop", "invoke-rc.d echod-worker stop"})

	h = newHost(t, b, multiSpec(t), rpmSystemd)
	eq(t, "rpm post", h.run("post", "1"), []string{
		"systemctl --no-reload enable echod.service",
		"systemctl --no-reload enable echod-worker.service",
		"systemctl daemon-reload",
		"systemctl start echod.service",
		"systemctl start echod-worker.service",
	})
	eq(t, "rpm upgrade", h.run("postun", "1"), []string{
		"systemctl daemon-reload",
		"systemctl try-restart echod.service",
		"systemctl try-restart echod-worker.service",
		"systemctl try-restart echod-inst@*.service",
	})
	eq(t, "rpm erase", h.run("preun", "0"), []string{
		"systemctl --no-reload disable --now echod.service echod-worker.service",
		"systemctl stop echod-inst@*.service",
	})
	h = newHost(t, b, multiSpec(t), rpmSysV)
	eq(t, "rpm sysv post", h.run("post", "1"), []string{
		"chkconfig --add echod", "chkconfig --add echod-worker",
		"runlevel", "initscript start", "runlevel", "initscript start",
	})
}

// TestPurge runs postrm purge (dash -u, DPKG_ROOT empty) on a fake root:
// the named kinds' directories, the log files and the accounts the package
// created go; runtime directories always; anything else stays, and a
// second purge is harmless.
func TestPurge(t *testing.T) {
	b := testBuilder(t)
	s := testSpec(t, nil)
	s.Directories = []spec.Directory{
		{Kind: spec.DirState, Name: "echod", Mode: 0o750},
		{Kind: spec.DirCache, Name: "echod", Mode: 0o755},
		{Kind: spec.DirLogs, Name: "echod", Mode: 0o750},
	}
	s.LogRotate = &spec.LogRotate{Files: []string{"/var/log/echod.log"}, Method: spec.RotateCopyTruncate, Frequency: "weekly", Rotate: 2, Mode: 0o640}
	s.Package.Directories = []spec.PackageDir{{Path: "/etc/echod", Owner: "echod", Mode: 0o2750}}
	s.Package.Purge = []spec.PurgeItem{spec.PurgeState, spec.PurgeLogs, spec.PurgeConfig, spec.PurgeAccount}
	h := newHost(t, b, s, debSysV)
	h.run("postinst", "configure", "") // creates echod: recorded
	h.write("state", "passwd", "echod 998\n")
	h.write("state", "group", "echod 998\n")
	keep := []string{"/var/cache/echod/x", "/var/lib/other/x", "/var/log/other.log", "/var/log/echod.logfile", "/etc/default/x"}
	gone := []string{"/var/lib/echod/db", "/var/log/echod/a.log", "/var/log/echod.log", "/var/log/echod.log.1", "/var/log/echod.log.2.gz", "/etc/echod/conf", "/run/echod/echod.pid"}
	for _, p := range append(slices.Clone(keep), gone...) {
		h.write("root", p, "x")
	}
	purge := func() []string {
		t.Helper()
		cmd := exec.Command("dash", "-u", h.scripts["postrm"], "purge")
		cmd.Env = []string{"PATH=" + h.stubs, "CALLS=" + h.calls, "STATE=" + h.state, "DPKG_ROOT="}
		_ = os.Remove(h.calls)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("postrm purge: %v\n%s", err, out)
		}
		data, _ := os.ReadFile(h.calls)
		return strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	calls := purge()
	for _, p := range keep {
		if _, err := os.Stat(filepath.Join(h.root, p)); err != nil {
			t.Errorf("purge removed %s: %v", p, err)
		}
	}
	for _, p := range gone {
		if _, err := os.Stat(filepath.Join(h.root, p)); !os.IsNotExist(err) {
			t.Errorf("purge left %s: %v", p, err)
		}
	}
	if !slices.Contains(calls, "userdel echod") || !slices.Contains(calls, "groupdel echod") {
		t.Errorf("the account the package created was not deleted: %q", calls)
	}
	if _, err := os.Stat(filepath.Join(h.root, markerBase)); !os.IsNotExist(err) {
		t.Errorf("purge left %s: %v", markerBase, err)
	}
	// Twice: nothing left to delete, no error.
	if calls := purge(); slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "userdel") }) {
		t.Errorf("second purge deleted again: %q", calls)
	}

	// An account that existed before the package (or below uid 100) stays.
	h = newHost(t, b, s, debSysV)
	h.write("state", "passwd", "echod 998\n")
	h.write("state", "group", "echod 998\n")
	h.run("postinst", "configure", "")
	if calls := purge(); slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, "del ") }) {
		t.Errorf("purge deleted an account the package did not create: %q", calls)
	}
	h = newHost(t, b, s, debSysV)
	h.run("postinst", "configure", "")
	h.write("state", "passwd", "echod 42\n")
	h.write("state", "group", "echod 42\n")
	if calls := purge(); slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, "del ") }) {
		t.Errorf("purge deleted an account below uid 100: %q", calls)
	}

	// A directory purge could not safely remove is refused at build time.
	s.Package.Directories = []spec.PackageDir{{Path: "/var/lib", Mode: 0o755}}
	if _, err := purgeFor(s); err == nil {
		t.Error("purge of /var/lib accepted")
	}
}

// TestDebPreinstAccounts: the preinst (dpkg runs it before unpacking
// files owned by the account) creates the accounts, through
// systemd-sysusers reading the entries on stdin (the sysusers.d file is
// not unpacked yet) or groupadd/useradd; the sysusers file lists every
// account of the package once.
func TestDebPreinstAccounts(t *testing.T) {
	b := testBuilder(t)
	s := multiSpec(t)
	h := newHost(t, b, s, debSysV)
	eq(t, "preinst install", h.run("preinst", "install"), []string{
		"getent group echod", "groupadd --system echod", "getent passwd echod",
		"useradd --system --gid echod --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod echod",
		"getent passwd worker",
		"useradd --system --gid echod --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod-worker worker",
	})
	eq(t, "preinst upgrade", h.run("preinst", "upgrade", "1.0", "1.1"), []string{"getent group echod", "getent passwd echod", "getent passwd worker"})
	eq(t, "preinst abort-upgrade", h.run("preinst", "abort-upgrade", "1.1"), nil)
	h = newHost(t, b, s, debSystemd, "systemd-sysusers")
	eq(t, "preinst with sysusers", h.run("preinst", "install"), []string{"systemd-sysusers --replace=/usr/lib/sysusers.d/echod.conf -"})

	out, err := b.render("pkg-sysusers.tmpl", docData{Name: "echod", Accounts: accounts(s)})
	if err != nil {
		t.Fatal(err)
	}
	want := "# System account of the echod service (see sysusers.d(5)).\n" +
		"u echod - \"echod\" /nonexistent /usr/sbin/nologin\n" +
		"u worker -:echod \"echod-worker\" /nonexistent /usr/sbin/nologin\n"
	if string(out) != want {
		t.Errorf("sysusers:\n%s\nwant:\n%s", out, want)
	}
}

// TestV2ScriptsShellcheck runs shellcheck over every maintainer script of
// a package with several services, a template, purge of everything and
// owned files (so with a deb preinst), and over logrotate's postrotate.
func TestV2ScriptsShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck not installed")
	}
	b := testBuilder(t)
	s := multiSpec(t)
	s.Directories = []spec.Directory{{Kind: spec.DirState, Name: "echod", Mode: 0o750}, {Kind: spec.DirLogs, Name: "echod", Mode: 0o750}}
	s.LogRotate = &spec.LogRotate{Files: []string{"/var/log/echod/*.log"}, Method: spec.RotateReload, Frequency: "weekly", Rotate: 2, Compress: true, Mode: 0o640}
	s.Package.Directories = []spec.PackageDir{{Path: "/etc/echod", Owner: "echod", Mode: 0o2750}}
	s.Package.Purge = []spec.PurgeItem{spec.PurgeState, spec.PurgeCache, spec.PurgeLogs, spec.PurgeConfig, spec.PurgeAccount}
	st, err := b.stage(context.Background(), s, Options{ModTime: DefaultModTime()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.cleanup()
	check := func(what string, text []byte) {
		t.Helper()
		cmd := exec.Command("shellcheck", "-s", "sh", "-")
		cmd.Stdin = bytes.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s\n--- script ---\n%s", what, err, out, text)
		}
	}
	for _, f := range Formats() {
		sc := st.scripts[f]
		if f == Deb && sc.pre == "" {
			t.Error("no deb preinst although files are owned by the account")
		}
		for _, p := range []string{sc.pre, sc.post, sc.preun, sc.postun} {
			if p == "" {
				continue
			}
			text, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			check(string(f)+" "+filepath.Base(p), text)
		}
	}
	conf, err := b.render("pkg-logrotate.tmpl", logrotateFor(s, s, "/etc/init.d/echod"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(conf), "postrotate\n")
	script, _, _ := strings.Cut(rest, "endscript")
	check("postrotate", []byte("#!/bin/sh\n"+script))
}
