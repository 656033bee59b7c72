package spec_test

import (
	"bytes"
	"errors"
	"math"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/internal/textesc"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
)

const fuzzMinimal = "name: app\nexec: /usr/bin/app\n"

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
	if d := s.RuntimeDirectory(); d != "" && d != "/run/"+s.Name && !strings.HasPrefix(d, "/run/"+s.Name+"/") {
		t.Fatalf("runtime directory %s is not the service's own", d)
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
			runtimeDir = append(runtimeDir, v)
		}
	}
	if len(stop) != 1 || stop[0] == "" || stop[0] == "0" || strings.HasPrefix(stop[0], "-") {
		t.Fatalf("TimeoutStopSec=%q for stop timeout %v", stop, s.StopTimeout)
	}
	want := strings.TrimPrefix(s.RuntimeDirectory(), "/run/")
	if (want == "") != (len(runtimeDir) == 0) || (want != "" && (len(runtimeDir) != 1 || runtimeDir[0] != want)) {
		t.Fatalf("RuntimeDirectory=%q, want %q (pidfile %s)", runtimeDir, want, s.PIDFile)
	}
}
