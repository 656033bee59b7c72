package systemd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
)

// everyKeySpec is testdata/v2/every-key.yaml: a package of two services
// that uses every spec v2 key the units render, a main service with a
// socket and a template.
func everyKeySpec(t testing.TB) *spec.Spec {
	t.Helper()
	return buildSpec(t, "file:testdata/v2/every-key.yaml")
}

// runnable points every program of every service of s at one that exists
// (systemd-analyze verify and systemd --test require that).
func runnable(s *spec.Spec) {
	for _, svc := range s.All() {
		svc.Exec = "/bin/sleep"
		for _, argv := range svc.ExecStartPre {
			argv[0] = "/bin/true"
		}
		if len(svc.ExecReload) > 0 {
			svc.ExecReload[0] = "/bin/true"
		}
	}
}

// writeUnits writes files into a new directory that the unprivileged
// test-mode manager can read, and returns it.
func writeUnits(t *testing.T, files []atomicfile.File) string {
	t.Helper()
	// Not t.TempDir: its parent is private to root.
	dir, err := os.MkdirTemp("", "daemonctl-v2-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGoldenV2: the units of a package that uses every v2 key.
func TestGoldenV2(t *testing.T) {
	s := everyKeySpec(t)
	files, err := newGenerator(t).Files(s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		golden := filepath.Join("testdata", "golden", "every-key--"+f.Name)
		if *update {
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./systemd -update to create it)", err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s (go test ./systemd -update rewrites it):\n%s", f.Name, golden, f.Data)
		}
	}
	want := []string{"redis-server.service", "redis-server.socket", "redis-server@.service"}
	if !slices.Equal(names, want) {
		t.Errorf("Files: %q, want %q", names, want)
	}
	for _, svc := range s.All() {
		var buf bytes.Buffer
		if err := newGenerator(t).Service(&buf, svc); err != nil {
			t.Fatal(err)
		}
		checkReadsBack(t, svc, buf.Bytes())
	}
}

// dumpedUnit is systemd's reading of one unit in a systemd --test dump:
// "Key: value" lines by key, command lines by their "-> ExecX:" block.
type dumpedUnit map[string][]string

// dumpSettings reads every unit of a systemd --test dump.
func dumpSettings(out []byte) map[string]dumpedUnit {
	units := map[string]dumpedUnit{}
	var cur dumpedUnit
	block := ""
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "\t-> Unit "); ok {
			cur = dumpedUnit{}
			units[strings.TrimSuffix(name, ":")] = cur
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "\t\t-> "):
			block = strings.TrimSuffix(strings.TrimPrefix(line, "\t\t-> "), ":")
		case strings.HasPrefix(line, "\t\t\tCommand Line: "):
			cur[block] = append(cur[block], strings.TrimPrefix(line, "\t\t\tCommand Line: "))
		case strings.HasPrefix(line, "\t\t") && !strings.HasPrefix(line, "\t\t\t"):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "\t\t"), ": ")
			cur[k] = append(cur[k], v)
		}
	}
	return units
}

// loadWithSystemd loads the units in dir that target wants with the real
// systemd in test mode and returns its dump. Any message naming one of
// the units fails the test.
func loadWithSystemd(t *testing.T, dir string, want ...string) map[string]dumpedUnit {
	t.Helper()
	sd := systemdBinary(t)
	target := "[Unit]\nDescription=daemonctl v2 check\nWants=" + strings.Join(want, " ") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "v2check.target"), []byte(target), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sd, "--test", "--system", "--unit=v2check.target", "--log-target=console", "--log-level=warning")
	cmd.Env = []string{"SYSTEMD_UNIT_PATH=" + dir + ":", "HOME=/", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if os.Geteuid() == 0 { // systemd refuses test mode as root
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("systemd --test: %v\n%s", err, stderr.Bytes())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		for _, u := range want {
			if base, _, _ := strings.Cut(u, "@"); line != "" && strings.Contains(line, base) {
				t.Errorf("systemd: %s", line)
			}
		}
	}
	return dumpSettings(out)
}

// TestEveryKeyAgainstSystemd loads the every-key package into the real
// systemd (test mode) and checks systemd's own reading of each v2
// setting, the template's instance 6380-a included: %i and %I expanded,
// every other "%" literal.
func TestEveryKeyAgainstSystemd(t *testing.T) {
	s := everyKeySpec(t)
	runnable(s)
	files, err := newGenerator(t).Files(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeUnits(t, files)
	units := loadWithSystemd(t, dir, "redis-server.service", "redis-server@6380-a.service")
	main, inst := units["redis-server.service"], units["redis-server@6380-a.service"]
	sock := units["redis-server.socket"]
	if main == nil || inst == nil || sock == nil {
		t.Fatalf("units missing from systemd's dump: %q", slices.Sorted(func(yield func(string) bool) {
			for k := range units {
				if !yield(k) {
					return
				}
			}
		}))
	}
	for _, c := range []struct {
		unit dumpedUnit
		key  string
		want []string
	}{
		{main, "ExecStart", []string{`/bin/sleep /etc/redis/redis.conf --supervised systemd "\$REDIS_OPTS" "\$EXTRA_OPTS"`}},
		{main, "ExecStartPre", []string{"/bin/true -r /etc/redis/redis.conf", "/bin/true /var/lib/redis/dump.rdb"}},
		{main, "ExecReload", []string{"/bin/true -r /etc/redis/redis.conf", "/bin/true /var/lib/redis/dump.rdb", "/bin/true -p 6379 config rewrite"}},
		{main, "RuntimeDirectory", []string{"redis", "redis-server"}},
		{main, "RuntimeDirectoryMode", []string{"2755"}},
		{main, "StateDirectory", []string{"redis", "redis/modules"}},
		{main, "StateDirectoryMode", []string{"0750"}},
		{main, "CacheDirectory", []string{"redis"}},
		{main, "CacheDirectoryMode", []string{"0700"}},
		{main, "LogsDirectory", []string{"redis"}},
		{main, "LogsDirectoryMode", []string{"2750"}},
		{main, "ConfigurationDirectory", []string{"redis"}},
		{main, "ReadWritePaths", []string{"/etc/redis -/srv/redis"}},
		{main, "ReadOnlyPaths", []string{"/usr/share/redis"}},
		{main, "InaccessiblePaths", []string{"-/home/redis"}},
		{main, "CapabilityBoundingSet", []string{"cap_net_bind_service cap_sys_resource"}},
		{main, "AmbientCapabilities", []string{"cap_net_bind_service"}},
		{main, "PrivateUsers", []string{"no"}}, // strict's PrivateUsers= would void the ambient set
		{main, "UMask", []string{"0007"}},
		{main, "ProcSubset", []string{"all"}},
		{main, "ProtectProc", []string{"default"}},
		{main, "MemoryDenyWriteExecute", []string{"no"}},
		{main, "IPAddressAllow", []string{"127.0.0.0/8", "::1/128"}},
		{main, "TimeoutStopSec", []string{"infinity"}},
		{main, "SendSIGKILL", []string{"no"}},
		{main, "KillMode", []string{"mixed"}},
		{main, "Documentation", []string{"man:redis-server(1)", "https://redis.io/docs/%20manual"}},
		{sock, "Documentation", []string{"man:redis-server(1)", "https://redis.io/docs/%20manual"}},
		{inst, "Description", []string{"redis-server@6380-a"}},
		{inst, "ExecStart", []string{`/bin/sleep /etc/redis/redis-6380-a.conf --port 6380-a --maxmemory-policy 100% %6380-a %n "\$REDIS_OPTS"`}},
		{inst, "ExecStartPre", []string{"/bin/true -r /etc/redis/redis-6380-a.conf"}},
		{inst, "ExecReload", nil},
		{inst, "Environment", []string{"INSTANCE=6380/a at 50%"}},
		{inst, "RuntimeDirectory", []string{"redis-server-6380-a"}},
		{inst, "StateDirectory", []string{"redis-6380-a"}},
		{inst, "Documentation", nil},
	} {
		got := c.unit[c.key]
		if c.key == "IPAddressAllow" { // a set: systemd dumps it in any order
			got = slices.Sorted(slices.Values(got))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("systemd reads %s as %q, want %q", c.key, got, c.want)
		}
	}
}

// TestEveryKeyEnable enables the every-key units in a scratch root with
// the real systemctl: Alias= makes redis.service, and a template's
// instance is enabled with its own socket instance (Also=%N.socket).
func TestEveryKeyEnable(t *testing.T) {
	systemctl := lookPath(t, "systemctl")
	s := everyKeySpec(t)
	// spec refuses listen for a template today; should that change, the
	// generator already writes an instance's socket as %N.socket.
	s.Extra[0].Listen = []spec.Listen{{Network: spec.NetworkTCP, Host: "127.0.0.1", Port: 6390}}
	runnable(s)
	files, err := newGenerator(t).Files(s)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	unitDir := filepath.Join(root, "etc", "systemd", "system")
	if err := os.MkdirAll(unitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(unitDir, f.Name), f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, unit := range []string{"redis-server.service", "redis-server@6380.service"} {
		if out, err := exec.Command(systemctl, "--root="+root, "enable", unit).CombinedOutput(); err != nil {
			t.Fatalf("systemctl enable %s: %v\n%s", unit, err, out)
		}
	}
	for link, target := range map[string]string{
		"redis.service": "/etc/systemd/system/redis-server.service",
		"multi-user.target.wants/redis-server.service":      "/etc/systemd/system/redis-server.service",
		"sockets.target.wants/redis-server.socket":          "/etc/systemd/system/redis-server.socket",
		"multi-user.target.wants/redis-server@6380.service": "/etc/systemd/system/redis-server@.service",
		"sockets.target.wants/redis-server@6380.socket":     "/etc/systemd/system/redis-server@.socket",
	} {
		got, err := os.Readlink(filepath.Join(unitDir, link))
		if err != nil || got != target {
			t.Errorf("%s -> %q (%v), want %s", link, got, err, target)
		}
	}
}

// v2Base is the old spec the per-key cases change.
const v2Base = `
name: app
exec: /bin/sleep
args: ["1"]
user: app
package: {version: "1", homepage: "https://example.org/app"}
`

// TestV2Keys sets one v2 key at a time on an old spec and checks the
// lines it gives (as go-systemd's parser reads them), then runs the real
// systemd-analyze verify on every unit: any message naming it fails.
func TestV2Keys(t *testing.T) {
	g := newGenerator(t)
	tests := []struct {
		name   string
		yaml   string // default v2Base
		mutate func(*spec.Spec)
		want   map[string][]string // "Section.Key" → values; nil values: absent
	}{
		{"args_from_env", "", func(s *spec.Spec) {
			s.ArgsFromEnv = []spec.EnvVar{{Name: "APP_OPTS", Value: "-v -x"}, {Name: "MORE", Value: ""}}
		}, map[string][]string{"Service.ExecStart": {"/bin/sleep 1 $APP_OPTS $MORE"}}},
		{"directories", "", func(s *spec.Spec) {
			s.Directories = []spec.Directory{
				{Kind: spec.DirRuntime, Name: "app", Mode: 0o750}, // the pidfile's own: merged, not repeated
				{Kind: spec.DirRuntime, Name: "app-sockets", Mode: 0o750},
				{Kind: spec.DirState, Name: "app", Mode: 0o700},
				{Kind: spec.DirCache, Name: "app/a", Mode: 0o755},
				{Kind: spec.DirCache, Name: "app/b", Mode: 0o755},
				{Kind: spec.DirLogs, Name: "app", Mode: 0o2750},
				{Kind: spec.DirConfiguration, Name: "app", Mode: 0o755},
			}
		}, map[string][]string{
			"Service.RuntimeDirectory": {"app app-sockets"}, "Service.RuntimeDirectoryMode": {"0750"},
			"Service.StateDirectory": {"app"}, "Service.StateDirectoryMode": {"0700"},
			"Service.CacheDirectory": {"app/a app/b"}, "Service.CacheDirectoryMode": {"0755"},
			"Service.LogsDirectory": {"app"}, "Service.LogsDirectoryMode": {"2750"},
			"Service.ConfigurationDirectory": {"app"}, "Service.ConfigurationDirectoryMode": {"0755"},
		}},
		{"no directories declared", "", func(*spec.Spec) {}, map[string][]string{
			"Service.RuntimeDirectory": {"app"}, "Service.RuntimeDirectoryMode": {"0755"},
			"Service.StateDirectory": nil, "Service.LogsDirectory": nil, "Service.CacheDirectory": nil,
		}},
		{"paths at hardening off", v2Base + "hardening: off\n", func(s *spec.Spec) {
			s.ReadWritePaths = []string{"/var/lib/app", "-/srv/app"}
			s.ReadOnlyPaths = []string{"/etc/app"}
			s.InaccessiblePaths = []string{"-/home"}
		}, map[string][]string{
			"Service.ReadWritePaths": {"/var/lib/app", "-/srv/app"}, "Service.ReadOnlyPaths": {"/etc/app"},
			"Service.InaccessiblePaths": {"-/home"}, "Service.NoNewPrivileges": nil,
		}},
		{"capabilities at hardening off", v2Base + "hardening: off\n", func(s *spec.Spec) {
			s.CapabilityBoundingSet = []string{"CAP_NET_BIND_SERVICE"}
			s.AmbientCapabilities = []string{"CAP_NET_BIND_SERVICE"}
		}, map[string][]string{
			"Service.CapabilityBoundingSet": {"CAP_NET_BIND_SERVICE"}, "Service.AmbientCapabilities": {"CAP_NET_BIND_SERVICE"},
		}},
		{"empty capability lists", v2Base + "hardening: off\n", func(s *spec.Spec) {
			s.CapabilityBoundingSet, s.AmbientCapabilities = []string{}, []string{}
		}, map[string][]string{"Service.CapabilityBoundingSet": {""}, "Service.AmbientCapabilities": {""}}},
		{"ambient widens the level's bounding set", v2Base + "hardening: strict\n", func(s *spec.Spec) {
			s.AmbientCapabilities = []string{"CAP_NET_BIND_SERVICE"}
		}, map[string][]string{
			"Service.CapabilityBoundingSet": {"CAP_NET_BIND_SERVICE"}, "Service.AmbientCapabilities": {"CAP_NET_BIND_SERVICE"},
			"Service.PrivateUsers": nil,
		}},
		{"ambient leaves root's deny list", "name: app\nexec: /bin/sleep\n", func(s *spec.Spec) {
			s.AmbientCapabilities = []string{"CAP_NET_RAW"}
		}, map[string][]string{
			"Service.CapabilityBoundingSet": {"~" + strings.Join(slices.DeleteFunc(slices.Clone(rootDeniedCapabilities), func(c string) bool { return c == "CAP_NET_RAW" }), " ")},
			"Service.AmbientCapabilities":   {"CAP_NET_RAW"},
		}},
		{"umask replaces strict's", v2Base + "hardening: strict\n", func(s *spec.Spec) { s.UMask = "0027" },
			map[string][]string{"Service.UMask": {"0027"}}},
		{"umask at default", "", func(s *spec.Spec) { s.UMask = "0007" }, map[string][]string{"Service.UMask": {"0007"}}},
		{"hardening_overrides", v2Base + "hardening: strict\n", func(s *spec.Spec) {
			s.HardeningOverrides = []spec.Override{
				{Directive: "ProcSubset", Value: "all"},
				{Directive: "SystemCallFilter", Value: ""},
				{Directive: "RestrictAddressFamilies", Value: "AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
				{Directive: "DeviceAllow", Value: "/dev/null rw"},
				{Directive: "DeviceAllow", Value: "/dev/urandom r"},
				{Directive: "PrivateUsers", Value: ""},
			}
		}, map[string][]string{
			"Service.ProcSubset": {"all"}, "Service.SystemCallFilter": nil, "Service.PrivateUsers": nil,
			"Service.RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
			"Service.DeviceAllow":             {"/dev/null rw", "/dev/urandom r"}, "Service.ProtectProc": {"invisible"},
		}},
		{"override at hardening off", v2Base + "hardening: off\n", func(s *spec.Spec) {
			s.HardeningOverrides = []spec.Override{{Directive: "PrivateNetwork", Value: "yes"}, {Directive: "NoNewPrivileges", Value: "yes"}}
		}, map[string][]string{"Service.PrivateNetwork": {"yes"}, "Service.NoNewPrivileges": {"yes"}}},
		{"reload signal with exec_start_pre", "", func(s *spec.Spec) {
			s.ExecStartPre = [][]string{{"/bin/true", "-t"}, {"/bin/true", "two words"}}
		}, map[string][]string{
			"Service.ExecStartPre": {"/bin/true -t", `/bin/true "two words"`},
			"Service.ExecReload":   {"/bin/true -t", `/bin/true "two words"`, "/bin/kill -HUP $MAINPID"},
		}},
		{"reload command", "", func(s *spec.Spec) {
			s.Reload, s.ExecReload = spec.ReloadCommand, []string{"/bin/true", "-s", "reload", "$HOME"}
		}, map[string][]string{"Service.ExecReload": {`/bin/true -s reload "$$HOME"`}}},
		{"reload none", "", func(s *spec.Spec) {
			s.Reload = spec.ReloadNone
			s.ExecStartPre = [][]string{{"/bin/true"}}
		}, map[string][]string{"Service.ExecReload": nil, "Service.ExecStartPre": {"/bin/true"}}},
		{"stop behaviour", "", func(s *spec.Spec) {
			s.StopTimeoutInfinite, s.StopTimeout = true, spec.MaxDuration
			s.SendSIGKILL = false
			s.KillMode = spec.KillProcess
		}, map[string][]string{"Service.TimeoutStopSec": {"infinity"}, "Service.SendSIGKILL": {"no"}, "Service.KillMode": {"process"}}},
		{"kill_mode control-group", "", func(s *spec.Spec) { s.KillMode = spec.KillControlGroup },
			map[string][]string{"Service.KillMode": {"control-group"}, "Service.SendSIGKILL": {"yes"}, "Service.TimeoutStopSec": {"10s"}}},
		{"start limit", "", func(s *spec.Spec) { s.StartLimitInterval, s.StartLimitBurst = 5*time.Minute, 20 },
			map[string][]string{"Unit.StartLimitIntervalSec": {"5min"}, "Unit.StartLimitBurst": {"20"}}},
		{"start limit burst only", "", func(s *spec.Spec) { s.StartLimitBurst = 3 },
			map[string][]string{"Unit.StartLimitIntervalSec": {"1min"}, "Unit.StartLimitBurst": {"3"}}},
		{"documentation", "", func(s *spec.Spec) {
			s.Documentation = []string{"man:app(8)", "info:app", "file:/usr/share/doc/app/README"}
		},
			map[string][]string{"Unit.Documentation": {"man:app(8)", "info:app", "file:/usr/share/doc/app/README"}}},
		{"documentation none", "", func(s *spec.Spec) { s.Documentation = []string{} },
			map[string][]string{"Unit.Documentation": nil}},
		{"documentation default", "", func(*spec.Spec) {},
			map[string][]string{"Unit.Documentation": {"https://example.org/app"}}},
		{"alias", "", func(s *spec.Spec) { s.Aliases = []string{"app2", "application"} },
			map[string][]string{"Install.Alias": {"app2.service", "application.service"}}},
		{"template", "name: app@\nexec: /bin/sleep\nargs: [\"%i\", \"50%\"]\n", func(s *spec.Spec) {
			s.Directories = []spec.Directory{{Kind: spec.DirState, Name: "app/%i", Mode: 0o755}}
		}, map[string][]string{
			"Service.ExecStart": {`/bin/sleep "%i" "50%%"`}, "Service.RuntimeDirectory": {"app-%i"},
			"Service.StateDirectory": {"app/%i"}, "Unit.Description": {"app@%i"},
		}},
	}
	analyze, _ := exec.LookPath("systemd-analyze")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := buildSpec(t, or(tt.yaml, v2Base))
			tt.mutate(s)
			files, err := g.Files(s)
			if err != nil {
				t.Fatal(err)
			}
			if want := s.Name + ".service"; files[0].Name != want {
				t.Errorf("file %s, want %s", files[0].Name, want)
			}
			got := options(t, files[0].Data)
			for key, want := range tt.want {
				if !slices.Equal(got[key], want) {
					t.Errorf("%s=%q, want %q", key, got[key], want)
				}
			}
			checkReadsBack(t, s, files[0].Data)
			if analyze == "" {
				t.Skip("systemd-analyze is not installed")
			}
			dir := writeUnits(t, files)
			var paths []string
			for _, f := range files {
				paths = append(paths, filepath.Join(dir, f.Name))
			}
			verify(t, analyze, paths...)
		})
	}
}

// serviceKeys returns the [Service] keys of a unit in file order.
func serviceKeys(t *testing.T, data []byte) []string {
	t.Helper()
	opts, err := unit.DeserializeOptions(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range opts {
		if o.Section == "Service" {
			keys = append(keys, o.Name+"="+o.Value)
		}
	}
	return keys
}

// TestOverridesStandInPlace: an override replaces every line of its
// directive where the first one stood; a directive the level does not
// emit ends the sandboxing block, before the spec's paths.
func TestOverridesStandInPlace(t *testing.T) {
	s := buildSpec(t, v2Base+"hardening: strict\n")
	s.HardeningOverrides = []spec.Override{
		{Directive: "SystemCallFilter", Value: "@system-service @resources"},
		{Directive: "PrivateNetwork", Value: "yes"},
	}
	s.UMask = "0027"
	s.CapabilityBoundingSet = []string{"CAP_CHOWN"}
	s.ReadOnlyPaths = []string{"/etc/app"}
	var buf bytes.Buffer
	if err := newGenerator(t).Service(&buf, s); err != nil {
		t.Fatal(err)
	}
	keys := serviceKeys(t, buf.Bytes())
	at := func(k string) int {
		i := slices.Index(keys, k)
		if i < 0 {
			t.Fatalf("%s missing from %q", k, keys)
		}
		return i
	}
	if !(at("SystemCallArchitectures=native") < at("SystemCallFilter=@system-service @resources") &&
		at("SystemCallFilter=@system-service @resources") < at("SystemCallErrorNumber=EPERM")) {
		t.Errorf("SystemCallFilter= override is not where the level's line was: %q", keys)
	}
	if i := at("CapabilityBoundingSet=CAP_CHOWN"); keys[i-1] != "NoNewPrivileges=yes" {
		t.Errorf("CapabilityBoundingSet= is not in the level's place: %q", keys)
	}
	if i := at("UMask=0027"); keys[i+1] != "PrivateNetwork=yes" || keys[i+2] != "ReadOnlyPaths=/etc/app" || len(keys) != i+3 {
		t.Errorf("want ... UMask=0027 PrivateNetwork=yes ReadOnlyPaths=/etc/app at the end, got %q", keys)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "SystemCallFilter=~") || k == "UMask=0077" || k == "CapabilityBoundingSet=" {
			t.Errorf("the level's %s survived its override", k)
		}
	}
}

// TestOverridesScore: systemd-analyze security, systemd's own judge,
// sees overrides take effect both ways: removing protections raises the
// exposure of a strict unit, adding some lowers it.
func TestOverridesScore(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	score := func(o ...spec.Override) float64 {
		s := buildSpec(t, "file:../examples/echod/daemon.yaml")
		s.Hardening = spec.HardeningStrict
		s.HardeningOverrides = o
		return exposure(t, analyze, s)
	}
	strict := score()
	looser := score(spec.Override{Directive: "SystemCallFilter"}, spec.Override{Directive: "PrivateDevices"},
		spec.Override{Directive: "ProtectSystem", Value: "no"}, spec.Override{Directive: "RestrictAddressFamilies"})
	tighter := score(spec.Override{Directive: "PrivateNetwork", Value: "yes"}, spec.Override{Directive: "IPAddressDeny", Value: "any"})
	t.Logf("strict %.1f, with protections removed %.1f, with a private network %.1f", strict, looser, tighter)
	if !(looser > strict && tighter < strict) {
		t.Errorf("exposure: strict %.1f, looser %.1f, tighter %.1f: overrides did not take effect", strict, looser, tighter)
	}
}
