package systemd

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// TestLongestDurations: the longest durations a spec accepts, and even the
// largest Go duration in a Spec built by hand, give positive, non-empty
// time spans that systemd-analyze reads.
func TestLongestDurations(t *testing.T) {
	g := newGenerator(t)
	built := buildSpec(t, "name: longd\nexec: /bin/sleep\ntype: notify\nstop_timeout: 8760h\nrestart_sec: 8760h\nwatchdog_sec: 8760h\n")
	byHand := buildSpec(t, "name: hugd\nexec: /bin/sleep\ntype: notify\n")
	byHand.StopTimeout, byHand.RestartDelay, byHand.WatchdogTimeout = math.MaxInt64, math.MaxInt64, math.MaxInt64
	for _, s := range []*spec.Spec{built, byHand} {
		var buf bytes.Buffer
		if err := g.Service(&buf, s); err != nil {
			t.Fatal(err)
		}
		m := options(t, buf.Bytes())
		for _, key := range []string{"Service.TimeoutStopSec", "Service.RestartSec", "Service.WatchdogSec", "Unit.StartLimitIntervalSec"} {
			v := strings.Join(m[key], "")
			if v == "" || v == "0" || strings.HasPrefix(v, "-") {
				t.Errorf("%s: %s=%q, want a positive time span", s.Name, key, v)
			}
		}
		if s == byHand && !slices.Equal(m["Unit.StartLimitIntervalSec"], m["Service.RestartSec"]) {
			t.Errorf("StartLimitIntervalSec=%q, want the saturated RestartSec=%q", m["Unit.StartLimitIntervalSec"], m["Service.RestartSec"])
		}
		if got := m["Service.TimeoutStopSec"]; s == built && (len(got) != 1 || got[0] != "8760h") {
			t.Errorf("TimeoutStopSec=%q, want 8760h", got)
		}
		if got := m["Unit.StartLimitIntervalSec"]; s == built && (len(got) != 1 || got[0] != "87600h") {
			t.Errorf("StartLimitIntervalSec=%q, want 87600h (ten restart delays)", got)
		}
		if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
			p := filepath.Join(t.TempDir(), s.Name+".service")
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			verify(t, analyze, p)
		}
	}
	if d := 10 * spec.MaxDuration; d/10 != spec.MaxDuration || d <= 0 {
		t.Fatalf("ten times spec.MaxDuration overflows: StartLimitIntervalSec would be wrong")
	}
}

// TestRuntimeDirectoryIsTheServicesOwn: only a directory of the service's
// own becomes RuntimeDirectory= (which systemd deletes when the service
// stops); a shared directory under /run is never claimed, even by a Spec
// built by hand that spec.Build would refuse.
func TestRuntimeDirectoryIsTheServicesOwn(t *testing.T) {
	g := newGenerator(t)
	for _, c := range []struct {
		name, pidfile, want string
		readWrite           string
	}{
		{"web", "/run/web/web.pid", "web", ""},
		{"web", "/var/run/web/web.pid", "web", ""},
		{"web", "/run/web/sub/web.pid", "web/sub", ""},
		{"web", "/run/nginx/web.pid", "", "-/run/nginx"},
		{"web", "/run/web.pid", "", ""},
		// By hand only: spec.Build refuses these pidfiles.
		{"web", "/run/lock/web.pid", "", "-/run/lock"},
		{"lock", "/run/lock/lock.pid", "", "-/run/lock"},
		{"web", "/run/user/1000/web.pid", "", "-/run/user/1000"},
		{"systemd", "/run/systemd/systemd.pid", "", "-/run/systemd"},
		{"web", "/run/systemd/web/web.pid", "", "-/run/systemd/web"},
	} {
		s := buildSpec(t, "name: "+c.name+"x\nexec: /bin/sleep\ntype: forking\nhardening: strict\n")
		s.Name, s.PIDFile = c.name, c.pidfile
		var buf bytes.Buffer
		if err := g.Service(&buf, s); err != nil {
			t.Fatalf("%s: %v", c.pidfile, err)
		}
		m := options(t, buf.Bytes())
		if got := strings.Join(m["Service.RuntimeDirectory"], " "); got != c.want {
			t.Errorf("pidfile %s (name %s): RuntimeDirectory=%q, want %q", c.pidfile, c.name, got, c.want)
		}
		var rw []string
		for _, p := range m["Service.ReadWritePaths"] {
			if strings.HasPrefix(p, "-/run") {
				rw = append(rw, p)
			}
		}
		if got := strings.Join(rw, " "); got != c.readWrite {
			t.Errorf("pidfile %s (name %s): ReadWritePaths=%q, want %q", c.pidfile, c.name, got, c.readWrite)
		}
	}
}
