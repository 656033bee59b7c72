//go:build e2e && linux

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// Exposure bars of systemd-analyze security for the generated units, from
// the generator issue: the lower the safer.
const (
	strictExposureMax  = 1.5
	defaultExposureMax = 3.5
)

// step is one stage of a scenario; stages share a container and run in
// order, and the first failing stage ends the scenario.
type step struct {
	name string
	fn   func(c *container)
}

// runSteps runs steps as subtests of t against c, stopping at the first
// failure.
func runSteps(t *testing.T, c *container, steps []step) {
	t.Helper()
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) { s.fn(c.on(t)) })
		if !ok {
			t.Fatalf("stage %q failed; later stages skipped", s.name)
		}
	}
}

// listenAddr returns the value of --listen in the spec's args.
func listenAddr(t testing.TB, s *spec.Spec) string {
	t.Helper()
	for i, a := range s.Args {
		if a == "--listen" && i+1 < len(s.Args) {
			return s.Args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--listen="); ok {
			return v
		}
	}
	t.Fatalf("spec %s: no --listen in args %q", s.Source, s.Args)
	return ""
}

// TestDebSystemd installs the echod .deb in a container booted with systemd
// and walks it through its life: install, reload, crash, stop, remove,
// purge, reinstall; then the default-hardening variant.
func TestDebSystemd(t *testing.T) {
	strict := artifacts.get(t, variant{})
	dflt := artifacts.get(t, variant{Hardening: "default"})
	next := artifacts.get(t, variant{Version: bumpVersion(t, strict.Spec.Package.Version)})
	s := strict.Spec
	unit := s.Name + ".service"
	addr := listenAddr(t, s)
	c := startContainer(t, rootfsDir, bootSystemd)
	deb := c.copyIn(strict.Deb, "/root/strict")
	debDefault := c.copyIn(dflt.Deb, "/root/default")
	debNext := c.copyIn(next.Deb, "/root/next")
	var pid int

	installed := func(c *container) {
		st := c.waitActive(unit)
		if st.UnitFileState != "enabled" {
			c.t.Fatalf("%s UnitFileState = %q, want enabled", unit, st.UnitFileState)
		}
		if !c.exists("/lib/systemd/system/" + unit) {
			c.t.Fatalf("/lib/systemd/system/%s not installed", unit)
		}
		c.echo(addr)
		pid = st.MainPID
	}

	runSteps(t, c, []step{
		{"install", func(c *container) {
			c.must("dpkg", "-i", deb)
			installed(c)
			if conf := c.must("dpkg-query", "-W", "-f", "${Conffiles}", s.Name); !strings.Contains(conf, " "+s.EnvironmentFile+" ") {
				c.t.Errorf("%s is not a conffile of %s: %q", s.EnvironmentFile, s.Name, conf)
			}
			c.checkUser(pid, s.User)
		}},
		{"environment", func(c *container) {
			c.checkEnviron(pid, s, nil)
			override := c.overrideEnvironment(s)
			c.must("systemctl", "restart", unit)
			pid = c.waitActive(unit).MainPID
			c.checkEnviron(pid, s, override)
			c.echo(addr)
		}},
		{"argv", func(c *container) { c.checkArgv(pid, s) }},
		{"security-strict", func(c *container) {
			score := c.exposure(unit)
			c.t.Logf("SCORE %s hardening=%s exposure=%.1f (bar %.1f)", unit, s.Hardening, score, strictExposureMax)
			if score > strictExposureMax {
				c.t.Errorf("exposure %.1f > %.1f with hardening %s", score, strictExposureMax, s.Hardening)
			}
		}},
		{"reload", func(c *container) {
			c.must("systemctl", "reload", unit)
			st := c.waitActive(unit)
			if st.MainPID != pid {
				c.t.Fatalf("reload replaced the process: MainPID %d -> %d", pid, st.MainPID)
			}
			if !c.journalHas(unit, "Reloaded ") {
				c.t.Errorf("journal of %s has no Reloaded line", unit)
			}
			// The program itself saw the reload signal: its own log says so.
			if !c.waitJournal(fmt.Sprintf("_PID=%d", pid), "reload") {
				c.t.Errorf("no reload message from %s (PID %d) in the journal", s.Name, pid)
			}
			c.echo(addr)
		}},
		{"kill-9-restarts", func(c *container) {
			before := c.state(unit).NRestarts
			c.must("kill", "-9", fmt.Sprint(pid))
			st := c.waitUnit(unit, "restarted", func(u unitState) bool {
				return u.Active == "active" && u.Sub == "running" && u.MainPID > 0 && u.MainPID != pid
			})
			if st.NRestarts <= before {
				c.t.Errorf("NRestarts %d -> %d after kill -9", before, st.NRestarts)
			}
			c.echo(addr)
			pid = st.MainPID
		}},
		{"stop-clean", func(c *container) {
			c.must("systemctl", "stop", unit)
			st := c.state(unit)
			c.t.Logf("after stop: Result=%s ExecMainCode=%s ExecMainStatus=%s", st.Result, st.ExecMainCode, st.ExecMainStatus)
			if st.Active != "inactive" || st.Result != "success" {
				c.t.Errorf("after stop: ActiveState=%s Result=%s, want inactive/success", st.Active, st.Result)
			}
			if st.ExecMainStatus == "9" || c.journalHas(unit, "timed out. Killing") {
				c.t.Errorf("stop needed SIGKILL (ExecMainStatus=%s)", st.ExecMainStatus)
			}
			c.must("systemctl", "start", unit)
			pid = c.waitActive(unit).MainPID
		}},
		{"remove", func(c *container) {
			c.must("dpkg", "-r", s.Name)
			c.waitNoProcess(filepath.Base(s.Exec))
			// Like dh_installsystemd, remove may keep the enablement links
			// (configuration, dropped on purge) but must leave the unit
			// neither running nor enabled (debhelper masks it).
			st := c.state(unit)
			c.t.Logf("after dpkg -r: ActiveState=%s UnitFileState=%s LoadState=%s", st.Active, st.UnitFileState, st.LoadState)
			if st.Active == "active" || strings.HasPrefix(st.UnitFileState, "enabled") {
				c.t.Errorf("after dpkg -r: ActiveState=%s UnitFileState=%s", st.Active, st.UnitFileState)
			}
			if !c.exists(s.EnvironmentFile) {
				c.t.Errorf("dpkg -r removed the conffile %s; only purge may", s.EnvironmentFile)
			}
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.Name)
			if c.exists(s.EnvironmentFile) {
				c.t.Errorf("conffile %s still there after purge", s.EnvironmentFile)
			}
			if c.exec("dpkg", "-s", s.Name).code == 0 {
				c.t.Errorf("dpkg -s %s succeeds after purge", s.Name)
			}
			if l := c.wantLinks(unit); len(l) > 0 {
				c.t.Errorf("after dpkg -P: enablement or mask links remain: %v", l)
			}
			if c.exists("/var/lib/systemd/deb-systemd-helper-enabled/" + unit + ".dsh-also") {
				c.t.Errorf("deb-systemd-helper state of %s left after purge", unit)
			}
		}},
		{"reinstall", func(c *container) {
			c.must("dpkg", "-i", deb)
			installed(c)
			c.checkArgv(pid, s)
		}},
		{"upgrade-restarts-keeps-conffile", func(c *container) {
			before := c.state(unit)
			c.mustSh("echo '# e2e local change' >> " + s.EnvironmentFile)
			c.must("dpkg", "-i", debNext)
			want := next.Spec.Package.Version + "-" + next.Spec.Package.Release
			if v := c.must("dpkg-query", "-W", "-f", "${Version}", s.Name); v != want {
				c.t.Fatalf("installed version %q after upgrade, want %q", v, want)
			}
			after := c.waitActive(unit)
			c.t.Logf("MainPID %d -> %d, ActiveEnterTimestampMonotonic %s -> %s", before.MainPID, after.MainPID, before.ActiveEnter, after.ActiveEnter)
			if after.MainPID == before.MainPID && after.ActiveEnter == before.ActiveEnter {
				c.t.Errorf("upgrade did not restart %s", unit)
			}
			if after.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q after upgrade, want enabled", unit, after.UnitFileState)
			}
			if !strings.Contains(c.must("cat", s.EnvironmentFile), "# e2e local change") {
				c.t.Errorf("upgrade lost the local change to conffile %s", s.EnvironmentFile)
			}
			c.echo(addr)
			pid = after.MainPID
		}},
		{"reinstall-same-version", func(c *container) {
			c.must("dpkg", "-i", debNext)
			installed(c)
		}},
		{"default-hardening", func(c *container) {
			c.must("dpkg", "-P", s.Name)
			c.waitNoProcess(filepath.Base(s.Exec))
			c.must("dpkg", "-i", debDefault)
			installed(c)
			c.checkArgv(pid, dflt.Spec)
			score := c.exposure(unit)
			c.t.Logf("SCORE %s hardening=%s exposure=%.1f (bar %.1f)", unit, dflt.Spec.Hardening, score, defaultExposureMax)
			if score > defaultExposureMax {
				c.t.Errorf("exposure %.1f > %.1f with hardening %s", score, defaultExposureMax, dflt.Spec.Hardening)
			}
			c.must("dpkg", "-P", s.Name)
			c.waitNoProcess(filepath.Base(s.Exec))
		}},
	})
}
