package spec_test

import (
	"bytes"
	"errors"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/internal/textesc"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
)

const fuzzMinimal = "name: app\nexec: /usr/bin/app\n"

// fuzzV2 uses every v2 key with a good value; TestFuzzV2Seed keeps it so.
const fuzzV2 = fuzzMinimal + "args_from_env: {OPTS: \"-m 64\", EMPTY: ~}\nruntime_directory: app-extra\nstate_directory: [app, app/db]\n" +
	"cache_directory: app\nlogs_directory: app\nconfiguration_directory: app\nstate_directory_mode: \"2750\"\n" +
	"runtime_directory_mode: \"0700\"\ncache_directory_mode: \"0750\"\nlogs_directory_mode: \"0750\"\n" +
	"configuration_directory_mode: \"0755\"\nread_write_paths: [/var/lib/app, \"-/srv/x\"]\nread_only_paths: [/etc/app]\n" +
	"inaccessible_paths: [/home]\ncapability_bounding_set: [net_bind_service, CAP_KILL]\nambient_capabilities: [CAP_NET_BIND_SERVICE]\n" +
	"umask: \"0027\"\nhardening_overrides: {proc_subset: all, protect_proc: default, memory_deny_write_execute: ~, " +
	"private_tmp: false, system_call_filter: [\"@system-service\", \"~@privileged\"]}\n" +
	"exec_reload: [/usr/bin/app, reload]\nexec_start_pre: [[/usr/bin/app, -t]]\nstop_timeout: infinity\nsend_sigkill: false\n" +
	"kill_mode: mixed\nstart_limit_interval_sec: 5m\nstart_limit_burst: 20\ndocumentation: [\"man:app(8)\", \"https://e.org/%x\"]\n" +
	"alias: [application]\nlogrotate: {files: [/var/log/app/*.log], method: reload, frequency: daily, rotate: 7, compress: false, mode: \"0640\"}\n" +
	"user: app\npackage:\n  files:\n    - {src: a, dst: /etc/app/app.conf, owner: app, group: app, mode: \"0640\"}\n" +
	"  directories:\n    - {path: /etc/app/conf.d, owner: app, group: app, mode: \"2770\"}\n" +
	"  purge: [state, cache, logs, configuration, account]\n" +
	"services:\n  - {name: \"app@\", exec: /usr/bin/app, args: [\"%i\"], reload: none}\n  - {name: app2, exec: /usr/bin/app2, alias: [b]}\n"

// TestFuzzV2Seed: the v2 seed builds, so the fuzzer starts from a spec
// that reaches every v2 rule rather than from the first error.
func TestFuzzV2Seed(t *testing.T) {
	cfg, err := spec.Parse("f.yaml", []byte(fuzzV2))
	if err == nil {
		_, err = cfg.Build()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzParse feeds arbitrary bytes to Parse and Build: they must never panic.
// A failure must be an Errors with one printable line per error, each
// starting with the file name. A spec that builds must keep every bound
// Build promises (durations, limits, pidfile location), and its unit must
// render with a positive TimeoutStopSec= and claim no runtime directory but
// the service's own.
//
//	go test -fuzz=FuzzParse ./spec/
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fuzzMinimal,
		"name: a\nexec: /x\nargs: [\"a b\", '$x', \"%%\"]\nenvironment: {A: \"1\"}\n",
		"name: a\nexec: /x\nlisten: [\"tcp:[::1]:80\", \"unix:/run/a.sock\"]\nlimits: {nofile: \"1:2\"}\n",
		"package:\n  files:\n    - {src: a, dst: /b, mode: 0755}\n",
		"a: &x [*x]\n",
		fuzzMinimal + "stop_timeout: 2562047h47m16.854775807s\n",
		fuzzMinimal + "type: notify\nstop_timeout: 8760h\nrestart_sec: 8760h\nwatchdog_sec: 8760h\n",
		fuzzMinimal + "restart_sec: 8760h0m0.000000001s\n",
		fuzzMinimal + "limits: {nofile: 99999999999999999999, nice: 100, rtprio: 99, cpu: 9223372036854, core: \"0:infinity\"}\n",
		fuzzMinimal + "limits: {nofile: 2147483584, nice: \"0:40\", memlock: 9223372036854775807}\n",
		fuzzMinimal + "pidfile: /run/lock/app.pid\n",
		fuzzMinimal + "pidfile: /var/run/app/sub/app.pid\n",
		fuzzMinimal + "pidfile: /run/other/app.pid\ntype: forking\n",
		fuzzMinimal + "pidfile: /tmp/app/app.pid\n",
		"name: systemd\nexec: /x\n",
		"name: lock\nexec: /x\n",
		fuzzMinimal + "\"\\e[2J\\nf.yaml:1: forged\": 1\n",
		fuzzMinimal + "environment: {\"A\\x1b\": x}\ntype: \"\\u202e\"\n",
		// Spec v2: every new key, good and bad.
		fuzzV2,
		"name: \"app@\"\nexec: /x\npidfile: /run/app-%i/app.pid\nruntime_directory: app-%I\ndescription: \"a %i\"\nenvironment: {A: \"%i\"}\n",
		"name: \"@\"\nexec: /x\n",
		fuzzMinimal + "args: [\"%i\"]\nstate_directory: [\"../x\", /abs, \"\"]\nstate_directory_mode: \"4777\"\ncache_directory_mode: \"0700\"\n",
		fuzzMinimal + "capability_bounding_set: [fly]\nambient_capabilities: [kill, kill]\numask: 999\nhardening_overrides: {umask: 1, proc_subset: [a, b], x: ~}\n",
		fuzzMinimal + "reload: none\nreload_signal: USR1\nexec_reload: [rel]\nexec_start_pre: [/x, []]\nstop_timeout: infinite\nkill_mode: none\n",
		fuzzMinimal + "start_limit_interval_sec: 0\nstart_limit_burst: 0\ndocumentation: [\"ftp://x\"]\nalias: [app, app]\nlogrotate: {files: [], method: reload, rotate: 0}\n",
		fuzzMinimal + "package:\n  files:\n    - {src: a, dst: /etc/x, owner: nobody, group: adm, mode: \"0662\"}\n  directories:\n    - {path: /tmp, mode: \"4777\"}\n  purge: [all, account]\n",
		fuzzMinimal + "services:\n  - {name: app, exec: rel, package: {}}\n  - name: b\n  - [x]\n",
	} {
		f.Add([]byte(seed))
	}
	g, err := systemd.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := spec.Parse("f.yaml", data)
		var s *spec.Spec
		if err == nil {
			s, err = cfg.Build()
		}
		if err != nil {
			checkErrors(t, err)
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("a built spec fails Validate: %v", err)
		}
		checkBounds(t, s)
		var buf bytes.Buffer
		if err := g.Service(&buf, s); err != nil {
			if !errors.Is(err, systemd.ErrUnrepresentable) {
				t.Fatalf("Service: %v", err)
			}
			return
		}
		checkUnit(t, s, buf.String())
	})
}

// checkErrors: Errors, one line per error, each starting with the file
// name and free of anything a terminal would not print as text.
func checkErrors(t *testing.T, err error) {
	var errs spec.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(errs) {
		t.Fatalf("%d errors in %d lines: %q", len(errs), len(lines), err.Error())
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "f.yaml") {
			t.Fatalf("error line without file name: %q", line)
		}
		for _, r := range line {
			if !textesc.Printable(r) {
				t.Fatalf("error line with %U: %q", r, line)
			}
		}
	}
}

// checkBounds restates Build's promises independently of its code.
func checkBounds(t *testing.T, s *spec.Spec) {
	if s.StopTimeout <= 0 || s.StopTimeout > spec.MaxDuration {
		t.Fatalf("stop timeout %v out of (0, %v]", s.StopTimeout, spec.MaxDuration)
	}
	if s.RestartDelay < 0 || s.RestartDelay > spec.MaxDuration {
		t.Fatalf("restart delay %v out of [0, %v]", s.RestartDelay, spec.MaxDuration)
	}
	if w := s.WatchdogTimeout; w != 0 && (w < time.Second || w > spec.MaxDuration) {
		t.Fatalf("watchdog %v out of [1s, %v]", w, spec.MaxDuration)
	}
	for _, l := range s.Limits {
		for _, v := range []string{l.Soft(), l.Hard()} {
			if v == "infinity" {
				if l.Name == "nofile" || l.Name == "nice" {
					t.Fatalf("limit %s is infinity", l.Name)
				}
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n > math.MaxInt64 {
				t.Fatalf("limit %s=%q is not a number up to 2^63-1", l.Name, l.Value)
			}
			if max := map[string]uint64{"nofile": 2147483584, "nice": 40, "rtprio": 99}[l.Name]; max != 0 && n > max {
				t.Fatalf("limit %s=%q above %d", l.Name, l.Value, max)
			}
		}
	}
	p := strings.Replace(strings.Replace(s.PIDFile, "/var/run/", "/run/", 1), "/var/lock/", "/run/lock/", 1)
	for _, shared := range []string{"/tmp/", "/var/tmp/", "/dev/", "/run/lock/", "/run/user/", "/run/systemd/", "/proc/", "/sys/"} {
		if strings.HasPrefix(p, shared) {
			t.Fatalf("pidfile %s is in %s", s.PIDFile, shared)
		}
	}
	own := "/run/" + s.BaseName()
	if s.IsTemplate() {
		own += "-%i"
	}
	if d := s.RuntimeDirectory(); d != "" && d != own && !strings.HasPrefix(d, own+"/") {
		t.Fatalf("runtime directory %s is not the service's own", d)
	}
	if s.StopTimeoutInfinite && s.StopTimeout != spec.MaxDuration {
		t.Fatalf("stop_timeout infinity with StopTimeout %v", s.StopTimeout)
	}
	for _, svc := range s.All() {
		for _, d := range svc.Directories {
			if !strings.HasPrefix(d.Path(), d.Kind.Base()+"/") || strings.Contains(d.Path(), "/../") || !spec.ValidInstancePath(d.Path()) {
				t.Fatalf("directory %q of kind %s", d.Path(), d.Kind)
			}
			if d.Mode&0o4002 != 0 {
				t.Fatalf("directory %s mode %o", d.Path(), d.Mode)
			}
		}
		if !svc.IsTemplate() {
			for _, a := range append(slices.Clone(svc.Args), svc.Description, svc.PIDFile) {
				if spec.HasInstanceSpecifier(a) {
					t.Fatalf("%%i in %q of a service that is not a template", a)
				}
			}
		}
		for _, c := range append(slices.Clone(svc.CapabilityBoundingSet), svc.AmbientCapabilities...) {
			if !slices.Contains(spec.Capabilities(), c) {
				t.Fatalf("capability %q", c)
			}
		}
		for _, o := range svc.HardeningOverrides {
			if !slices.Contains(spec.HardeningDirectives(), o.Directive) || strings.ContainsAny(o.Value, "\n\r\\\"'$%;") {
				t.Fatalf("override %+v", o)
			}
		}
		if (svc.Reload == spec.ReloadCommand) != (len(svc.ExecReload) > 0) {
			t.Fatalf("reload %s with exec_reload %q", svc.Reload, svc.ExecReload)
		}
	}
	if d := s.RuntimeDirectory(); d != "" && d != path.Dir(p) {
		t.Fatalf("runtime directory %s does not hold the pidfile %s", d, s.PIDFile)
	}
}

// checkUnit: TimeoutStopSec= is a positive time span, and RuntimeDirectory=
// names nothing but the service's own directory.
func checkUnit(t *testing.T, s *spec.Spec, unit string) {
	var stop, runtimeDir []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "TimeoutStopSec="); ok {
			stop = append(stop, v)
		}
		if v, ok := strings.CutPrefix(line, "RuntimeDirectory="); ok {
			runtimeDir = append(runtimeDir, strings.Fields(v)...)
		}
	}
	if len(stop) != 1 || stop[0] == "" || stop[0] == "0" || strings.HasPrefix(stop[0], "-") {
		t.Fatalf("TimeoutStopSec=%q for stop timeout %v", stop, s.StopTimeout)
	}
	// The runtime directories are the pidfile's own (when it is the
	// service's) and those the spec declares, nothing else.
	want := []string{}
	if d := strings.TrimPrefix(s.RuntimeDirectory(), "/run/"); d != "" {
		want = append(want, d)
	}
	declared := []string{}
	for _, d := range s.Directories {
		if d.Kind == spec.DirRuntime {
			declared = append(declared, d.Name)
		}
	}
	for _, d := range runtimeDir {
		if !slices.Contains(want, d) && !slices.Contains(declared, d) {
			t.Fatalf("RuntimeDirectory= names %q, not the service's (pidfile %s, declared %q)", d, s.PIDFile, declared)
		}
	}
	for _, d := range want {
		if !slices.Contains(runtimeDir, d) {
			t.Fatalf("RuntimeDirectory=%q lacks the pidfile's %q", runtimeDir, d)
		}
	}
}
