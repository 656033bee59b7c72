package lint

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// load writes yaml to a spec file under t.TempDir() and loads it.
func load(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	file := filepath.Join(t.TempDir(), "d.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lintLines runs the whole judgement with the tools installed here (only
// systemd-analyze unless all) and returns the findings without the spec
// file's directory.
func lintLines(t *testing.T, s *spec.Spec, all bool) []string {
	t.Helper()
	services, err := Render(s, Systemd|SysV)
	if err != nil {
		t.Fatal(err)
	}
	tools := SystemTools()
	if !all {
		lookPath := tools.LookPath
		tools.LookPath = func(name string) (string, error) {
			if name != "systemd-analyze" {
				return "", exec.ErrNotFound
			}
			return lookPath(name)
		}
	}
	r, err := Check(context.Background(), s, services, tools)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range r.Findings {
		lines = append(lines, strings.TrimPrefix(f.String(), filepath.Dir(s.Source)+"/"))
	}
	return lines
}

func TestFindings(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	const base = "name: app\nexec: /bin/sleep\nargs: [\"1000\"]\n"
	cases := []struct {
		name  string
		yaml  string
		want  []string // each a prefix of one finding line
		never []string // no finding line contains these
	}{
		{name: "an old spec gets its score and nothing else",
			yaml:  base,
			want:  []string{"d.yaml: hardening: note: systemd-analyze security: "},
			never: []string{"warning", "error", "ProcSubset"}},
		{name: "strict: score on the hardening line, /proc notes, no sandbox in the init script",
			yaml: base + "user: app\nhardening: strict\n",
			want: []string{
				"d.yaml:5: hardening: note: systemd-analyze security: ",
				"d.yaml:5: hardening: note: ProcSubset=pid hides everything in /proc",
				"d.yaml:5: hardening: note: ProtectProc=invisible hides other users' processes",
				"d.yaml:5: hardening: warning: no SysV equivalent: the init script starts the program without systemd's sandbox (hardening: strict)",
			}},
		{name: "hardening off written: no SysV warning",
			yaml:  base + "hardening: off\n",
			never: []string{"warning", "ProcSubset"}},
		{name: "strict allows the families of unix and tcp listen addresses",
			yaml:  base + "hardening: strict\nlisten: [\"tcp::8080\", \"unix:/run/app/s\"]\n",
			never: []string{"RestrictAddressFamilies="}},
		{name: "an override leaving out AF_INET breaks an IPv4 listen address",
			yaml: base + "listen: [\"tcp:127.0.0.1:8080\", \"tcp:[::1]:8080\", \"unix:/run/app/s\", \"tcp::8080\"]\n" +
				"hardening_overrides: {restrict_address_families: \"AF_UNIX AF_INET6\"}\n",
			want:  []string{"d.yaml:4: listen[0]: warning: tcp:127.0.0.1:8080 needs AF_INET, which RestrictAddressFamilies=AF_UNIX AF_INET6 leaves out (hardening_overrides.restrict_address_families)"},
			never: []string{"listen[1]", "listen[2]", "listen[3]"}},
		{name: "every address needs one of the IP families",
			yaml: base + "listen: [\"tcp::8080\"]\nhardening_overrides: {restrict_address_families: AF_UNIX}\n",
			want: []string{"d.yaml:4: listen[0]: warning: tcp::8080 needs AF_INET or AF_INET6, which RestrictAddressFamilies=AF_UNIX leaves out"}},
		{name: "a deny list counts too",
			yaml: base + "listen: [\"unix:/run/app/s\"]\nhardening_overrides: {restrict_address_families: \"~AF_UNIX\"}\n",
			want: []string{"d.yaml:4: listen[0]: warning: unix:/run/app/s needs AF_UNIX, which RestrictAddressFamilies=~AF_UNIX leaves out"}},
		{name: "a log file under /var/log is read-only under strict",
			yaml: base + "user: app\nhardening: strict\nlogrotate: {files: [/var/log/app/*.log], method: copytruncate}\n",
			want: []string{"d.yaml:6: logrotate.files[0]: warning: the log file /var/log/app/*.log (/var/log/app) is read-only in the sandbox (ProtectSystem=strict)"}},
		{name: "a log file in the logs directory is writable",
			yaml:  base + "user: app\nhardening: strict\nlogs_directory: app\nlogrotate: {files: [/var/log/app/*.log], method: copytruncate}\n",
			never: []string{"logrotate"}},
		{name: "a log file in read_write_paths is writable, and read_write_paths has no SysV meaning",
			yaml:  base + "user: app\nhardening: strict\nread_write_paths: [/var/log/app]\nlogrotate: {files: [/var/log/app/app.log], method: copytruncate}\n",
			want:  []string{"d.yaml:6: read_write_paths: warning: no SysV equivalent: the init script has no sandbox"},
			never: []string{"logrotate"}},
		{name: "default hardening leaves /var/log writable",
			yaml:  base + "user: app\nlogrotate: {files: [/var/log/app/app.log], method: copytruncate}\n",
			never: []string{"logrotate"}},
		{name: "a read-only path above the log file decides when it is the deepest rule",
			yaml: base + "user: app\nread_only_paths: [/var/log]\nlogrotate: {files: [/var/log/app/app.log], method: copytruncate}\n",
			want: []string{"d.yaml:6: logrotate.files[0]: warning: the log file /var/log/app/app.log (/var/log/app) is read-only in the sandbox (ReadOnlyPaths=/var/log)"}},
		{name: "a configuration directory the account owns, read-only under full",
			yaml: base + "user: app\npackage:\n" +
				"  directories: [{path: /etc/app, owner: app, group: app, mode: \"2770\"}, {path: /etc/other}]\n" +
				"  files:\n    - {src: /bin/true, dst: /etc/app/app.conf, owner: app, mode: \"0640\"}\n" +
				"    - {src: /bin/true, dst: /etc/app/ro.conf, group: app, mode: \"0640\"}\n",
			want: []string{
				"d.yaml:6: package.directories[0]: warning: the directory /etc/app its account may write (/etc/app) is read-only in the sandbox of app.service (ProtectSystem=full)",
				"d.yaml:8: package.files[0]: warning: the file /etc/app/app.conf its account may write (/etc/app/app.conf) is read-only",
			},
			never: []string{"directories[1]", "files[1]"}},
		{name: "a configuration directory in read_write_paths",
			yaml:  base + "user: app\nread_write_paths: [/etc/app]\npackage:\n  directories: [{path: /etc/app, owner: app, group: app, mode: \"2770\"}]\n",
			never: []string{"package.directories"}},
		{name: "port 80 as app without the capability",
			yaml:  base + "user: app\nlisten: [\"tcp::80\", \"tcp::8080\"]\n",
			want:  []string{"d.yaml:5: listen[0]: warning: port 80 is below 1024 and user app has no CAP_NET_BIND_SERVICE"},
			never: []string{"listen[1]"}},
		{name: "port 80 as app with the ambient capability",
			yaml:  base + "user: app\nlisten: [\"tcp::80\"]\nambient_capabilities: [net_bind_service]\n",
			never: []string{"below 1024"}},
		{name: "port 80 as root: fine at every level",
			yaml:  base + "hardening: strict\nlisten: [\"tcp::80\"]\n",
			never: []string{"below 1024"}},
		{name: "port 80 as root with an empty bounding set",
			yaml: base + "listen: [\"tcp::80\"]\ncapability_bounding_set: []\n",
			want: []string{"d.yaml:4: listen[0]: warning: port 80 is below 1024 and the capability bounding set leaves out CAP_NET_BIND_SERVICE"}},
		{name: "an override restores /proc",
			yaml:  base + "user: app\nhardening: strict\nhardening_overrides:\n  proc_subset: all\n",
			want:  []string{"d.yaml:7: hardening_overrides: warning: no SysV equivalent: the init script has no sandbox to adjust"},
			never: []string{"ProcSubset=pid"}},
		{name: "an override that sets ProcSubset=pid is named",
			yaml: base + "hardening_overrides:\n  proc_subset: pid\n",
			want: []string{"d.yaml:5: hardening_overrides.proc_subset: note: ProcSubset=pid hides"}},
		{name: "start limits have no SysV meaning",
			yaml: base + "start_limit_interval_sec: 5m\nstart_limit_burst: 20\n",
			want: []string{
				"d.yaml:4: start_limit_interval_sec: warning: no SysV equivalent:",
				"d.yaml:5: start_limit_burst: warning: no SysV equivalent:",
			}},
		{name: "a template service has no init script",
			yaml: "name: app@\nexec: /bin/sleep\nargs: [\"%i\"]\n",
			want: []string{
				"d.yaml:1: name: note: template service: no init script",
				"d.yaml: hardening: note: systemd-analyze security: ",
			},
			never: []string{"error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := lintLines(t, load(t, c.yaml), false)
			for _, w := range c.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, w) }) {
					t.Errorf("no finding starts with %q:\n%s", w, strings.Join(lines, "\n"))
				}
			}
			for _, n := range c.never {
				if slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, n) }) {
					t.Errorf("a finding contains %q:\n%s", n, strings.Join(lines, "\n"))
				}
			}
			for _, l := range lines {
				if strings.Contains(l, ": error: ") {
					t.Errorf("error finding on a valid spec: %s", l)
				}
			}
		})
	}
}

// TestSeveralServices: every service of the package is judged; a further
// service's findings name its services[N] field, and its unit is scored.
func TestSeveralServices(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	s := load(t, `name: app
exec: /bin/sleep
services:
  - name: web
    exec: /bin/sleep
    user: app
    listen: ["tcp::80"]
  - name: web@
    exec: /bin/sleep
    args: ["%i"]
`)
	services, err := Render(s, Systemd|SysV)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sv := range services {
		for _, f := range sv.Units {
			names = append(names, f.Name)
		}
		if sv.Script != nil {
			names = append(names, sv.Script.Name)
		}
	}
	if want := []string{"app.service", "app", "web.service", "web.socket", "web", "web@.service"}; !slices.Equal(names, want) {
		t.Errorf("rendered %q, want %q", names, want)
	}
	lines := strings.Join(lintLines(t, s, true), "\n")
	for _, want := range []string{
		": hardening: note: systemd-analyze security: ",
		"d.yaml:4: services[0].hardening: note: systemd-analyze security: ",
		" (web.service)",
		"d.yaml:7: services[0].listen[0]: warning: port 80 is below 1024 and user app has no CAP_NET_BIND_SERVICE",
		"d.yaml:8: services[1].name: note: template service: no init script",
		" (web@.service)",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("no finding contains %q:\n%s", want, lines)
		}
	}
}
