//go:build e2e && linux

package e2e

import (
	"strings"
	"testing"
)

// TestDebSocketActivation packages a variant of echod with a listen
// address, so the package ships and enables echod.socket: systemd holds the
// port, a connection starts the service, and purge takes both away.
func TestDebSocketActivation(t *testing.T) {
	const addr = "127.0.0.1:7008"
	p := artifacts.get(t, variant{Listen: addr})
	s := p.Spec
	service, socket := s.Name+".service", s.Name+".socket"
	c := startContainer(t, rootfsDir, bootSystemd)
	deb := c.copyIn(p.Deb, "/root")

	runSteps(t, c, []step{
		{"install-enables-socket", func(c *container) {
			if files := c.must("dpkg-deb", "-c", deb); !strings.Contains(files, "/lib/systemd/system/"+socket+"\n") {
				c.t.Fatalf("the package has no %s:\n%s", socket, files)
			}
			c.must("dpkg", "-i", deb)
			// "running" once the service runs with the socket passed in.
			st := c.waitUnit(socket, "listening", func(u unitState) bool {
				return u.Active == "active" && (u.Sub == "listening" || u.Sub == "running")
			})
			if st.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q, want enabled", socket, st.UnitFileState)
			}
		}},
		{"connection-starts-service", func(c *container) {
			c.must("systemctl", "stop", service)
			if st := c.state(service); st.Active == "active" {
				c.t.Fatalf("%s still active after stop", service)
			}
			if st := c.state(socket); st.Sub != "listening" {
				c.t.Fatalf("%s is %s/%s after stopping the service, want listening", socket, st.Active, st.Sub)
			}
			c.echo(addr)
			st := c.waitActive(service)
			env := c.environ(st.MainPID)
			c.t.Logf("MainPID %d LISTEN_FDS=%q LISTEN_FDNAMES=%q", st.MainPID, env["LISTEN_FDS"], env["LISTEN_FDNAMES"])
		}},
		{"purge-closes-socket", func(c *container) {
			c.must("dpkg", "-P", s.Name)
			c.waitNoProcess("echod")
			for _, u := range []string{service, socket} {
				if st := c.state(u); st.Active == "active" || st.UnitFileState == "enabled" {
					c.t.Errorf("%s after purge: %s, UnitFileState %s", u, st.Active, st.UnitFileState)
				}
			}
			if r := c.sh("printf 'x\\n' | nc -N -w 2 127.0.0.1 7008"); r.code == 0 {
				c.t.Errorf("something still answers on %s after purge: %q", addr, r.stdout)
			}
		}},
	})
}
