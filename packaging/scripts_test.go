package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// The maintainer scripts are run for real under dash, with every command
// they may call replaced by a stub on PATH that records its arguments.
// Root (a template field that is "" in packages) points the scripts' file
// tests (/run/systemd/system, the init script, /run/<name>) at a
// temporary tree, so that "booted with systemd" and "SysV" can both be
// exercised without touching the machine.

// stubScript is linked under every command name. It appends "NAME ARGS" to
// $CALLS and emulates just enough state: accounts for getent, the
// was-enabled answer of deb-systemd-helper, the current runlevel.
const stubScript = `#!/bin/sh
name=${0##*/}
echo "$name $*" >>"$CALLS"
case "$name" in
getent)
    [ -f "$STATE/$1" ] && while read -r n id; do [ "$n" = "$2" ] && { echo "$2:x:${id:-1001}:${id:-1001}::/nonexistent:/usr/sbin/nologin"; exit 0; }; done <"$STATE/$1"
    exit 2 ;;
useradd) for a; do last=$a; done; echo "$last" >>"$STATE/passwd" ;;
groupadd) for a; do last=$a; done; echo "$last" >>"$STATE/group" ;;
systemd-sysusers) cat >/dev/null 2>&1 || true ;;
deb-systemd-helper)
    if [ "$1" = --quiet ] && [ "$2" = was-enabled ] && [ -f "$STATE/disabled" ]; then exit 1; fi ;;
runlevel) if [ -f "$STATE/runlevel" ]; then cat "$STATE/runlevel"; else echo unknown; exit 1; fi ;;
esac
[ -f "$STATE/fail-$name" ] && exit 1
exit 0
`

// host is one simulated machine: which tools exist and what init runs.
type host struct {
	t         *testing.T
	root      string // Root of the scripts
	stubs     string // directory on PATH
	state     string
	calls     string
	scripts   map[string]string // script name → path
	initCalls string
}

type hostKind int

const (
	debSystemd hostKind = iota // Debian booted with systemd
	debSysV                    // Debian with SysV init (or a chroot: no /run/systemd/system)
	rpmSystemd                 // Fedora-like booted with systemd
	rpmSysV                    // RHEL-6-like: chkconfig, no systemctl
	rpmChroot                  // image build: systemctl present, nothing running
)

var debTools = []string{"deb-systemd-helper", "deb-systemd-invoke", "systemctl", "update-rc.d", "invoke-rc.d", "getent", "useradd", "groupadd", "userdel", "groupdel"}

func newHost(t *testing.T, b *Builder, s *spec.Spec, kind hostKind, extraTools ...string) *host {
	t.Helper()
	dir := t.TempDir()
	h := &host{t: t, root: filepath.Join(dir, "root"), stubs: filepath.Join(dir, "bin"),
		state: filepath.Join(dir, "state"), calls: filepath.Join(dir, "calls"), scripts: map[string]string{}}
	for _, d := range []string{h.root, h.stubs, h.state, filepath.Join(dir, "scripts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stub := filepath.Join(dir, "stub")
	if err := os.WriteFile(stub, []byte(stubScript), 0o755); err != nil {
		t.Fatal(err)
	}
	var tools []string
	f := Deb
	switch kind {
	case debSystemd, debSysV:
		tools = debTools
	case rpmSystemd, rpmChroot:
		f = RPM
		tools = []string{"systemctl", "getent", "useradd", "groupadd", "runlevel"}
	case rpmSysV:
		f = RPM
		tools = []string{"chkconfig", "getent", "useradd", "groupadd", "runlevel"}
	}
	for _, tool := range append(tools, extraTools...) {
		if err := os.Symlink(stub, filepath.Join(h.stubs, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"rm", "cat", "mkdir", "rmdir"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(h.stubs, tool)); err != nil {
			t.Fatal(err)
		}
	}
	if kind == debSystemd || kind == rpmSystemd {
		h.mkdir("/run/systemd/system")
	}
	if kind == rpmSysV {
		h.write("state", "runlevel", "N 3\n")
	}
	initDir := map[Format]string{Deb: debInitDir, RPM: rpmInitDir}[f]
	h.mkdir(initDir)
	h.initCalls = filepath.Join(dir, "initcalls")
	var services []serviceData
	for _, svc := range s.All() {
		if svc.IsTemplate() {
			continue
		}
		initScript := initDir + "/" + svc.Name
		h.write("root", initScript, "#!/bin/sh\necho \"initscript $*\" >>\"$CALLS\"\n")
		units := []string{svc.Name + ".service"}
		if len(svc.Listen) > 0 {
			units = append(units, svc.Name+".socket")
		}
		services = append(services, serviceData{Name: svc.Name, Units: units, InitScript: initScript, RuntimeDir: runtimeDir(svc)})
	}
	d := b.scriptData(s, f, services, sysusersDir+"/"+s.Name+".conf", "u "+s.User+" - \"x\"\n", h.root)
	if p, err := purgeFor(s); err != nil {
		t.Fatal(err)
	} else {
		d.Purge = p
	}
	if kind == debSystemd || kind == debSysV {
		text, err := b.script("pkg-deb-preinst.tmpl", d)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "scripts", "preinst")
		if err := os.WriteFile(p, text, 0o755); err != nil {
			t.Fatal(err)
		}
		h.scripts["preinst"] = p
	}
	names := map[Format][]string{
		Deb: {"pkg-deb-postinst.tmpl", "pkg-deb-prerm.tmpl", "pkg-deb-postrm.tmpl"},
		RPM: {"pkg-rpm-pre.tmpl", "pkg-rpm-post.tmpl", "pkg-rpm-preun.tmpl", "pkg-rpm-postun.tmpl"},
	}[f]
	for _, n := range names {
		text, err := b.script(n, d)
		if err != nil {
			t.Fatal(err)
		}
		short := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(n, ".tmpl"), "pkg-deb-"), "pkg-rpm-")
		p := filepath.Join(dir, "scripts", short)
		if err := os.WriteFile(p, text, 0o755); err != nil {
			t.Fatal(err)
		}
		h.scripts[short] = p
	}
	return h
}

func (h *host) mkdir(p string) {
	h.t.Helper()
	if err := os.MkdirAll(filepath.Join(h.root, p), 0o755); err != nil {
		h.t.Fatal(err)
	}
}

// write creates a file under root ("root") or the state directory ("state").
func (h *host) write(where, p, text string) {
	h.t.Helper()
	base := map[string]string{"root": h.root, "state": h.state}[where]
	full := filepath.Join(base, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o755); err != nil {
		h.t.Fatal(err)
	}
}

// run runs one script under dash and returns the commands it called, with
// the temporary root replaced by "ROOT".
func (h *host) run(script string, args ...string) []string {
	h.t.Helper()
	calls, err := h.try(script, args...)
	if err != nil {
		h.t.Fatalf("%s %v: %v", script, args, err)
	}
	return calls
}

func (h *host) try(script string, args ...string) ([]string, error) {
	h.t.Helper()
	_ = os.Remove(h.calls)
	cmd := exec.Command("dash", append([]string{h.scripts[script]}, args...)...)
	cmd.Env = []string{"PATH=" + h.stubs, "CALLS=" + h.calls, "STATE=" + h.state}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		err = &scriptError{err: err, stderr: stderr.String()}
	}
	data, _ := os.ReadFile(h.calls)
	var calls []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l != "" {
			calls = append(calls, strings.TrimSpace(strings.ReplaceAll(l, h.root, "ROOT")))
		}
	}
	return calls, err
}

type scriptError struct {
	err    error
	stderr string
}

func (e *scriptError) Error() string { return e.err.Error() + ": " + e.stderr }

func testSpec(t *testing.T, mutate func(*spec.Config)) *spec.Spec {
	t.Helper()
	yes := true
	c := &spec.Config{Name: "echod", Exec: "/usr/bin/echod", User: "echod",
		Package: spec.PackageConfig{Version: "1.0", Enable: &yes, Start: &yes}}
	if mutate != nil {
		mutate(c)
	}
	s, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testBuilder(t *testing.T) *Builder {
	t.Helper()
	b, err := New(Generators{Systemd: fakeGen{}, SysV: fakeGen{sysv: true}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDebLifecycleSystemd(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, nil), debSystemd, "systemd-sysusers")

	// dpkg -i (fresh): postinst configure "".
	eq(t, "install", h.run("postinst", "configure", ""), []string{
		"systemd-sysusers echod.conf",
		"deb-systemd-helper unmask echod.service",
		"deb-systemd-helper --quiet was-enabled echod.service",
		"deb-systemd-helper enable echod.service",
		"update-rc.d echod defaults",
		"systemctl --system daemon-reload",
		"deb-systemd-invoke start echod.service",
	})
	// Upgrade 1.0 → 1.1: old prerm upgrade, (new preinst: none), old
	// postrm upgrade, new postinst configure 1.0.
	eq(t, "upgrade prerm", h.run("prerm", "upgrade", "1.1"), nil)
	eq(t, "upgrade postrm", h.run("postrm", "upgrade", "1.1"), nil)
	eq(t, "upgrade postinst", h.run("postinst", "configure", "1.0"), []string{
		"systemd-sysusers echod.conf",
		"deb-systemd-helper unmask echod.service",
		"deb-systemd-helper --quiet was-enabled echod.service",
		"deb-systemd-helper enable echod.service",
		"update-rc.d echod defaults",
		"systemctl --system daemon-reload",
		"deb-systemd-invoke restart echod.service",
	})
	// The administrator disabled the unit: upgrades keep it disabled.
	h.write("state", "disabled", "")
	calls := h.run("postinst", "configure", "1.0")
	if slices.Contains(calls, "deb-systemd-helper enable echod.service") || !slices.Contains(calls, "deb-systemd-helper update-state echod.service") {
		t.Errorf("disabled unit re-enabled on upgrade: %q", calls)
	}
	// dpkg -r: prerm remove, postrm remove.
	eq(t, "remove prerm", h.run("prerm", "remove"), []string{"deb-systemd-invoke stop echod.service"})
	eq(t, "remove postrm", h.run("postrm", "remove"), []string{
		"deb-systemd-helper mask echod.service",
		"systemctl --system daemon-reload",
	})
	// dpkg -P after remove: postrm purge; runtime directory goes, the account stays.
	h.mkdir("/run/echod")
	h.write("root", "/run/echod/echod.pid", "1\n")
	eq(t, "purge", h.run("postrm", "purge"), []string{
		"deb-systemd-helper purge echod.service",
		"deb-systemd-helper unmask echod.service",
		"update-rc.d echod remove",
		"systemctl --system daemon-reload",
	})
	if _, err := os.Stat(filepath.Join(h.root, "run/echod")); !os.IsNotExist(err) {
		t.Errorf("purge left /run/echod: %v", err)
	}
	// Every script is safe twice.
	for _, args := range [][]string{{"prerm", "remove"}, {"postrm", "remove"}, {"postrm", "purge"}, {"postrm", "purge"}} {
		h.run(args[0], args[1:]...)
	}
}

func TestDebAccountWithoutSysusers(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.Group = "daemons" }), debSysV)
	want := []string{
		"getent group daemons",
		"groupadd --system daemons",
		"getent passwd echod",
		"useradd --system --gid daemons --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod echod",
	}
	got := h.run("postinst", "configure", "")
	eq(t, "first configure", got[:4], want)
	// Second run: the account exists, nothing is created.
	got = h.run("postinst", "configure", "")
	eq(t, "second configure", got[:2], []string{"getent group daemons", "getent passwd echod"})
	if slices.ContainsFunc(got, func(c string) bool { return strings.HasPrefix(c, "useradd") || strings.HasPrefix(c, "groupadd") }) {
		t.Errorf("account created twice: %q", got)
	}
	// Removal never deletes the account.
	for _, c := range append(h.run("prerm", "remove"), h.run("postrm", "purge")...) {
		if strings.HasPrefix(c, "userdel") || strings.HasPrefix(c, "deluser") {
			t.Errorf("purge deletes the account: %s", c)
		}
	}
}

func TestDebLifecycleSysV(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.User = "" }), debSysV)
	eq(t, "install", h.run("postinst", "configure", ""), []string{
		"deb-systemd-helper unmask echod.service",
		"deb-systemd-helper --quiet was-enabled echod.service",
		"deb-systemd-helper enable echod.service",
		"update-rc.d echod defaults",
		"invoke-rc.d echod start",
	})
	eq(t, "upgrade", h.run("postinst", "configure", "0.9")[4:], []string{"invoke-rc.d echod restart"})
	eq(t, "remove", h.run("prerm", "remove"), []string{"invoke-rc.d echod stop"})
	eq(t, "postrm remove", h.run("postrm", "remove"), []string{"deb-systemd-helper mask echod.service"})
	eq(t, "purge", h.run("postrm", "purge"), []string{
		"deb-systemd-helper purge echod.service",
		"deb-systemd-helper unmask echod.service",
		"update-rc.d echod remove",
	})
	// A service that fails to start does not fail the installation...
	h.write("state", "fail-invoke-rc.d", "")
	h.run("postinst", "configure", "")
	// ...but one that cannot be stopped keeps the package installed.
	if _, err := h.try("prerm", "remove"); err == nil {
		t.Error("prerm remove succeeded although the init script could not stop the service")
	}
}

func TestDebNoEnableNoStart(t *testing.T) {
	b := testBuilder(t)
	no := false
	s := testSpec(t, func(c *spec.Config) { c.User = ""; c.Package.Enable = &no; c.Package.Start = &no })
	h := newHost(t, b, s, debSystemd)
	eq(t, "install", h.run("postinst", "configure", ""), []string{
		"deb-systemd-helper unmask echod.service",
		"deb-systemd-helper update-state echod.service",
		"update-rc.d echod defaults-disabled",
		"systemctl --system daemon-reload",
	})
	eq(t, "upgrade", h.run("postinst", "configure", "0.9")[3:], []string{"systemctl --system daemon-reload"})
}

func TestDebDPKGRootStartsNothing(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.User = "" }), debSystemd)
	cmd := exec.Command("dash", h.scripts["postinst"], "configure", "")
	cmd.Env = []string{"PATH=" + h.stubs, "CALLS=" + h.calls, "STATE=" + h.state, "DPKG_ROOT=/target"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("postinst with DPKG_ROOT: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(h.calls)
	for _, c := range strings.Split(string(data), "\n") {
		if strings.Contains(c, "invoke") || strings.Contains(c, "daemon-reload") || strings.HasPrefix(c, "update-rc.d") {
			t.Errorf("DPKG_ROOT install ran %q", c)
		}
	}
}

func TestDebSocketUnits(t *testing.T) {
	b := testBuilder(t)
	s := testSpec(t, func(c *spec.Config) { c.User = ""; c.Listen = []string{"tcp:127.0.0.1:7007"} })
	h := newHost(t, b, s, debSystemd)
	got := h.run("postinst", "configure", "")
	if !slices.Contains(got, "deb-systemd-invoke start echod.service echod.socket") {
		t.Errorf("socket unit not started with the service: %q", got)
	}
	eq(t, "remove", h.run("prerm", "remove"), []string{"deb-systemd-invoke stop echod.service echod.socket"})
}

func TestRPMLifecycleSystemd(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, nil), rpmSystemd)
	// rpm -i: %pre 1, %post 1.
	eq(t, "install pre", h.run("pre", "1"), []string{
		"getent group echod", "groupadd --system echod", "getent passwd echod",
		"useradd --system --gid echod --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin --comment echod echod",
	})
	eq(t, "install post", h.run("post", "1"), []string{
		"systemctl --no-reload enable echod.service",
		"systemctl daemon-reload",
		"systemctl start echod.service",
	})
	// rpm -U: new %pre 2, new %post 2, old %preun 1, old %postun 1.
	eq(t, "upgrade pre", h.run("pre", "2"), []string{"getent group echod", "getent passwd echod"})
	eq(t, "upgrade post", h.run("post", "2"), []string{"systemctl daemon-reload"})
	eq(t, "upgrade preun", h.run("preun", "1"), nil)
	eq(t, "upgrade postun", h.run("postun", "1"), []string{"systemctl daemon-reload", "systemctl try-restart echod.service"})
	// rpm -e: %preun 0, %postun 0.
	h.mkdir("/run/echod")
	eq(t, "erase preun", h.run("preun", "0"), []string{"systemctl --no-reload disable --now echod.service"})
	eq(t, "erase postun", h.run("postun", "0"), []string{"systemctl daemon-reload"})
	if _, err := os.Stat(filepath.Join(h.root, "run/echod")); !os.IsNotExist(err) {
		t.Errorf("erase left /run/echod: %v", err)
	}
	// Reinstall after erase is a fresh install again, and safe twice.
	h.run("pre", "1")
	h.run("post", "1")
	h.run("post", "1")
}

func TestRPMSysusersInPre(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, nil), rpmSystemd, "systemd-sysusers")
	eq(t, "pre", h.run("pre", "1"), []string{"systemd-sysusers --replace=/usr/lib/sysusers.d/echod.conf -"})
}

func TestRPMLifecycleSysV(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.User = "" }), rpmSysV)
	eq(t, "install", h.run("post", "1"), []string{
		"chkconfig --add echod",
		"runlevel",
		"initscript start",
	})
	eq(t, "upgrade post", h.run("post", "2"), nil)
	eq(t, "upgrade postun", h.run("postun", "1"), []string{"initscript status", "initscript restart"})
	eq(t, "erase", h.run("preun", "0"), []string{"runlevel", "initscript stop", "chkconfig --del echod"})
	eq(t, "erase postun", h.run("postun", "0"), nil)
}

func TestRPMChrootStartsNothing(t *testing.T) {
	b := testBuilder(t)
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.User = "" }), rpmChroot)
	eq(t, "install", h.run("post", "1"), []string{"systemctl --no-reload enable echod.service", "runlevel"})
	eq(t, "erase", h.run("preun", "0"), []string{"systemctl --no-reload disable echod.service", "runlevel"})
}

func TestRPMNoEnableNoStart(t *testing.T) {
	b := testBuilder(t)
	no := false
	h := newHost(t, b, testSpec(t, func(c *spec.Config) { c.User = ""; c.Package.Enable = &no; c.Package.Start = &no }), rpmSystemd)
	eq(t, "install", h.run("post", "1"), []string{"systemctl daemon-reload"})
	eq(t, "upgrade", h.run("postun", "1"), []string{"systemctl daemon-reload"})
}

// TestScriptsShellcheck runs shellcheck (POSIX sh) over every rendered
// script of specs with and without an account, a socket, enable and start.
func TestScriptsShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck not installed")
	}
	b := testBuilder(t)
	no := false
	variants := map[string]func(*spec.Config){
		"account+socket": func(c *spec.Config) { c.Group = "daemons"; c.Listen = []string{"unix:/run/echod/echod.sock"} },
		"root":           func(c *spec.Config) { c.User = "" },
		"no enable/start": func(c *spec.Config) {
			c.User = ""
			c.Package.Enable, c.Package.Start = &no, &no
		},
		"pidfile elsewhere": func(c *spec.Config) { c.PIDFile = "/var/run/echod.d/pid" },
	}
	for name, mutate := range variants {
		s := testSpec(t, mutate)
		for _, f := range Formats() {
			svc := []serviceData{{Name: s.Name, Units: []string{"echod.service", "echod.socket"}, InitScript: "/etc/init.d/echod", RuntimeDir: runtimeDir(s)}}
			d := b.scriptData(s, f, svc, "/usr/lib/sysusers.d/echod.conf", "u echod -\n", "")
			for n := range scriptUsage {
				if !strings.HasPrefix(n, "pkg-"+string(f)) || (n == "pkg-deb-preinst.tmpl" && len(d.Accounts) == 0) {
					continue
				}
				text, err := b.script(n, d)
				if err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("shellcheck", "-s", "sh", "-")
				cmd.Stdin = bytes.NewReader(text)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s: shellcheck %s: %v\n%s\n--- script ---\n%s", name, n, err, out, text)
				}
			}
		}
	}
}
