//go:build e2e && linux

package e2e

import (
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startSysVContainer starts a container without an init system, the way a
// SysV host (or a chroot with a runlevel) looks to maintainer scripts:
// no /run/systemd/system, runlevel 2 recorded in utmp, no policy-rc.d.
func startSysVContainer(t *testing.T) *container {
	t.Helper()
	c := startContainer(t, rootfsDir, noInit)
	if c.exists("/run/systemd/system") {
		t.Fatal("/run/systemd/system exists in a container without systemd")
	}
	if c.exists("/usr/sbin/policy-rc.d") {
		t.Fatal("the rootfs has a policy-rc.d; it would deny invoke-rc.d")
	}
	c.writeFile("/run/utmp", runlevelRecord('N', '2', time.Now()), 0o664)
	// Boot scripts (ifupdown) bring the loopback up on a SysV host; here
	// nobody does, so use the host's ip(8) in the container's netns.
	if out, err := exec.Command("nsenter", "--target", strconv.Itoa(c.leader), "--net",
		"ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("container: lo up: %v: %s", err, out)
	}
	return c
}

// initScript runs /etc/init.d/NAME ACTION and returns its exit status;
// a command that could not run at all (or kept the caller's output open)
// fails the test.
func (c *container) initScript(name, action string) int {
	c.t.Helper()
	r := c.exec("/etc/init.d/"+name, action)
	if r.code < 0 || errors.Is(r.err, exec.ErrWaitDelay) {
		c.t.Fatalf("init script: %v", r)
	}
	return r.code
}

// wantStatus fails the test unless "/etc/init.d/NAME status" exits want.
func (c *container) wantStatus(name string, want int) {
	c.t.Helper()
	r := c.exec("/etc/init.d/"+name, "status")
	if r.code != want {
		c.t.Fatalf("status exit %d, want %d: %v", r.code, want, r)
	}
}

// wantAction fails the test unless ACTION exits 0.
func (c *container) wantAction(name, action string) {
	c.t.Helper()
	r := c.exec("/etc/init.d/"+name, action)
	if r.code != 0 || r.err != nil {
		c.t.Fatalf("init script %s: %v", action, r)
	}
}

// pidFromFile reads the PID in the pidfile inside the container.
func (c *container) pidFromFile(path string) int {
	c.t.Helper()
	out := strings.TrimSpace(c.must("cat", path))
	pid, err := strconv.Atoi(out)
	if err != nil || pid <= 0 {
		c.t.Fatalf("pidfile %s holds %q", path, out)
	}
	return pid
}

// onePID fails the test unless exactly one process named comm runs, and
// returns it.
func (c *container) onePID(comm string) int {
	c.t.Helper()
	p := c.pids(comm)
	if len(p) != 1 {
		c.t.Fatalf("want one %s process, found %v", comm, p)
	}
	return p[0]
}

// TestDebSysV installs the echod .deb where systemd is not PID 1 and drives
// the LSB init script through its actions.
func TestDebSysV(t *testing.T) {
	p := artifacts.get(t, variant{})
	next := artifacts.get(t, variant{Version: bumpVersion(t, p.Spec.Package.Version)})
	s := p.Spec
	name, comm, addr := s.Name, filepath.Base(s.Exec), listenAddr(t, s)
	c := startSysVContainer(t)
	deb := c.copyIn(p.Deb, "/root")
	debNext := c.copyIn(next.Deb, "/root/next")
	var pid int

	running := func(c *container) {
		if r := c.exec("/etc/init.d/"+name, "status"); r.code != 0 {
			// Say why: trace a start attempt.
			x := c.sh("sh -x /etc/init.d/" + name + " start 2>&1 | tail -n 25")
			lim := c.sh("echo nofile soft $(ulimit -Sn) hard $(ulimit -Hn); grep CapBnd /proc/self/status")
			c.t.Fatalf("status exit %d, want 0: %v\ntrace of a start attempt:\n%s\ncontainer limits: %s", r.code, r, x.stdout, lim.stdout)
		}
		pid = c.onePID(comm)
		if fp := c.pidFromFile(s.PIDFile); fp != pid {
			c.t.Fatalf("pidfile %s says %d, the running %s is %d", s.PIDFile, fp, comm, pid)
		}
		c.echo(addr)
	}

	runSteps(t, c, []step{
		{"install-starts", func(c *container) {
			r := c.exec("dpkg", "-i", deb)
			if r.err != nil {
				c.t.Fatalf("%v", r)
			}
			c.t.Logf("%s", r)
			if !c.exists("/etc/init.d/" + name) {
				c.t.Fatalf("/etc/init.d/%s not installed", name)
			}
			if l := c.rcLinks(name); !slices.ContainsFunc(l, func(p string) bool { return strings.HasPrefix(p, "/etc/rc2.d/S") }) {
				c.t.Errorf("no start link in /etc/rc2.d: %v", l)
			}
			running(c)
			c.checkArgvContains(pid, s)
			c.checkUser(pid, s.User)
		}},
		{"environment", func(c *container) {
			c.checkEnviron(pid, s, nil)
			override := c.overrideEnvironment(s)
			c.wantAction(name, "restart")
			running(c)
			c.checkEnviron(pid, s, override)
		}},
		{"stop", func(c *container) {
			c.wantAction(name, "stop")
			c.waitNoProcess(comm)
			c.wantStatus(name, 3)
		}},
		{"stop-again", func(c *container) {
			c.wantAction(name, "stop")
			c.wantStatus(name, 3)
		}},
		{"start-twice", func(c *container) {
			c.wantAction(name, "start")
			c.wantAction(name, "start")
			running(c)
		}},
		{"kill-9-dead", func(c *container) {
			c.must("kill", "-9", strconv.Itoa(pid))
			c.waitNoProcess(comm)
			c.wantStatus(name, 1)
		}},
		{"start-over-stale-pidfile", func(c *container) {
			c.wantAction(name, "start")
			running(c)
		}},
		{"restart", func(c *container) {
			old := pid
			c.wantAction(name, "restart")
			running(c)
			if pid == old {
				c.t.Errorf("restart kept PID %d", pid)
			}
		}},
		{"force-reload", func(c *container) {
			c.wantAction(name, "force-reload")
			running(c)
		}},
		{"unknown-action", func(c *container) {
			if code := c.initScript(name, "frobnicate"); code != 2 && code != 3 {
				c.t.Errorf("unknown action exit %d, want 2 (or 3)", code)
			}
		}},
		{"upgrade-restarts", func(c *container) {
			old := pid
			c.must("dpkg", "-i", debNext)
			running(c)
			if pid == old {
				c.t.Errorf("upgrade kept PID %d: not restarted", pid)
			}
		}},
		{"remove-stops", func(c *container) {
			c.must("dpkg", "-r", name)
			c.waitNoProcess(comm)
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", name)
			if l := c.rcLinks(name); len(l) > 0 {
				c.t.Errorf("rc links left after purge: %v", l)
			}
			for _, f := range []string{s.EnvironmentFile, "/etc/init.d/" + name} {
				if c.exists(f) {
					c.t.Errorf("%s left after purge", f)
				}
			}
		}},
	})
}

// TestDebImageBuild installs the .deb the way an image build does: no init
// running, no runlevel, a policy-rc.d that forbids starting anything. The
// install must succeed without starting the service; booting the image
// with systemd afterwards must start it.
func TestDebImageBuild(t *testing.T) {
	p := artifacts.get(t, variant{})
	s := p.Spec
	unit, comm, addr := s.Name+".service", filepath.Base(s.Exec), listenAddr(t, s)
	c := startContainer(t, rootfsDir, noInit)
	deb := c.copyIn(p.Deb, "/root")

	runSteps(t, c, []step{
		{"install-without-init", func(c *container) {
			c.writeFile("/usr/sbin/policy-rc.d", []byte("#!/bin/sh\nexit 101\n"), 0o755)
			r := c.exec("dpkg", "-i", deb)
			if r.err != nil {
				c.t.Fatalf("%v", r)
			}
			if p := c.pids(comm); len(p) > 0 {
				c.t.Errorf("%s started during an image build: PIDs %v", comm, p)
			}
			if !slices.ContainsFunc(c.wantLinks(unit), func(l string) bool { return strings.Contains(l, ".wants/") }) {
				c.t.Errorf("%s not enabled for the first boot", unit)
			}
			if len(c.rcLinks(s.Name)) == 0 {
				c.t.Errorf("no rc.d links for /etc/init.d/%s", s.Name)
			}
		}},
		{"first-boot-starts", func(c *container) {
			c.must("rm", "/usr/sbin/policy-rc.d")
			c.restart(bootSystemd)
			st := c.waitActive(unit)
			c.checkArgv(st.MainPID, s)
			c.echo(addr)
		}},
	})
}
