//go:build e2e && linux

package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRPMSystemd installs the echod .rpm with Debian's rpm (--nodeps) in a
// container booted with systemd and checks what the scriptlets do: enable
// and start on install, restart on upgrade, stop and disable on erase.
func TestRPMSystemd(t *testing.T) {
	v1 := artifacts.get(t, variant{})
	v2 := artifacts.get(t, variant{Version: bumpVersion(t, v1.Spec.Package.Version)})
	s := v1.Spec
	unit, comm, addr := s.Name+".service", filepath.Base(s.Exec), listenAddr(t, s)
	c := startContainer(t, rootfsDir, bootSystemd)
	rpm1 := c.copyIn(v1.RPM, "/root/v1")
	rpm2 := c.copyIn(v2.RPM, "/root/v2")
	var before unitState

	runSteps(t, c, []step{
		{"initdb", func(c *container) { c.must("rpm", "--initdb") }},
		{"install-enables-starts", func(c *container) {
			c.must("rpm", "-i", "--nodeps", rpm1)
			before = c.waitActive(unit)
			if before.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q after rpm -i, want enabled", unit, before.UnitFileState)
			}
			c.echo(addr)
			c.checkArgv(before.MainPID, s)
			if conf := c.must("rpm", "-qc", s.Name); !strings.Contains(conf, s.EnvironmentFile+"\n") {
				c.t.Errorf("rpm -qc %s does not list %s:\n%s", s.Name, s.EnvironmentFile, conf)
			}
		}},
		{"upgrade-restarts", func(c *container) {
			c.mustSh("echo '# e2e local change' >> " + s.EnvironmentFile)
			c.must("rpm", "-U", "--nodeps", rpm2)
			if !strings.Contains(c.must("cat", s.EnvironmentFile), "# e2e local change") {
				c.t.Errorf("rpm -U lost the local change to %s (config(noreplace))", s.EnvironmentFile)
			}
			q := strings.TrimSpace(c.must("rpm", "-q", "--qf", "%{VERSION}", s.Name))
			if q != v2.Spec.Package.Version {
				c.t.Fatalf("rpm -q after upgrade: version %q, want %q", q, v2.Spec.Package.Version)
			}
			after := c.waitActive(unit)
			c.t.Logf("MainPID %d -> %d, ActiveEnterTimestampMonotonic %s -> %s", before.MainPID, after.MainPID, before.ActiveEnter, after.ActiveEnter)
			if after.MainPID == before.MainPID && after.ActiveEnter == before.ActiveEnter {
				c.t.Errorf("rpm -U did not restart %s: MainPID %d, active since %s both unchanged", unit, after.MainPID, after.ActiveEnter)
			}
			if after.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q after rpm -U, want enabled", unit, after.UnitFileState)
			}
			c.echo(addr)
		}},
		{"erase-stops-disables", func(c *container) {
			c.must("rpm", "-e", s.Name)
			c.waitNoProcess(comm)
			st := c.state(unit)
			if st.Active == "active" || st.UnitFileState == "enabled" {
				c.t.Errorf("after rpm -e: ActiveState=%s UnitFileState=%s", st.Active, st.UnitFileState)
			}
			if l := c.wantLinks(unit); len(l) > 0 {
				c.t.Errorf("after rpm -e: enablement links remain: %v", l)
			}
		}},
	})
}

// bumpVersion returns v with its last dot-separated number incremented.
func bumpVersion(t testing.TB, v string) string {
	t.Helper()
	i := strings.LastIndexByte(v, '.')
	n := 0
	for _, r := range v[i+1:] {
		if r < '0' || r > '9' {
			t.Fatalf("cannot bump version %q", v)
		}
		n = n*10 + int(r-'0')
	}
	return v[:i+1] + strconv.Itoa(n+1)
}
