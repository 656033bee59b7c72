//go:build e2e && linux

package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ask sends request to 127.0.0.1:port in the container with netcat (which
// closes its sending side at the end of the request) and returns the reply.
func (c *container) ask(port int, request string) result {
	return c.exec("/bin/sh", "-c", fmt.Sprintf(`printf '%%s' "$1" | nc -N -w 5 127.0.0.1 %d`, port), "sh", request)
}

// waitAnswer asks port until the reply contains want, for a minute at most
// (a deadline for a loaded machine, not a timing assertion), and returns
// the reply.
func (c *container) waitAnswer(port int, request, want string) string {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := c.ask(port, request)
		if strings.Contains(r.stdout, want) {
			return r.stdout
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("port %d: no reply with %q to %q after a minute: %v", port, want, request, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// notListening fails the test if something accepts connections on
// 127.0.0.1:port in the container.
func (c *container) notListening(port int) {
	c.t.Helper()
	if r := c.exec("nc", "-z", "-w", "2", "127.0.0.1", strconv.Itoa(port)); r.code == 0 {
		c.t.Errorf("something still listens on port %d", port)
	}
}

// wantArgv fails the test unless the process runs exactly argv.
func (c *container) wantArgv(pid int, want []string) {
	c.t.Helper()
	if got := c.procArgv(pid); !slices.Equal(got, want) {
		c.t.Fatalf("argv of PID %d = %q, want %q", pid, got, want)
	}
}

// wantMode fails the test unless path in the container has the owner,
// group and permission bits given (stat's %U:%G %a).
func (c *container) wantMode(path, want string) {
	c.t.Helper()
	if got := strings.TrimSpace(c.must("stat", "-c", "%U:%G %a", path)); got != want {
		c.t.Errorf("%s is %s, want %s", path, got, want)
	}
}

// hasAccount reports whether the container's passwd has user.
func (c *container) hasAccount(user string) bool {
	c.t.Helper()
	return c.exec("getent", "passwd", user).code == 0
}

// restartNewPID restarts unit and returns its new main PID, failing the
// test if systemd kept the old process.
func (c *container) restartNewPID(unit string, old int) int {
	c.t.Helper()
	c.must("systemctl", "restart", unit)
	st := c.waitActive(unit)
	if st.MainPID == old {
		c.t.Fatalf("restart of %s kept PID %d", unit, old)
	}
	return st.MainPID
}

// kill9Restarted kills the main process with SIGKILL and waits for
// systemd to start a new one; it returns the new main PID.
func (c *container) kill9Restarted(unit string, pid int) int {
	c.t.Helper()
	before := c.state(unit).NRestarts
	c.must("kill", "-9", strconv.Itoa(pid))
	st := c.waitUnit(unit, "restarted after kill -9", func(u unitState) bool {
		return u.Active == "active" && u.Sub == "running" && u.MainPID > 0 && u.MainPID != pid
	})
	if st.NRestarts <= before {
		c.t.Errorf("%s: NRestarts %d -> %d after kill -9", unit, before, st.NRestarts)
	}
	return st.MainPID
}

// reloadRefused checks that systemctl reload fails for a service without
// a reload and leaves the running process alone.
func (c *container) reloadRefused(unit string, pid int) {
	c.t.Helper()
	r := c.exec("systemctl", "reload", unit)
	c.t.Logf("systemctl reload %s: exit %d: %s", unit, r.code, strings.TrimSpace(r.stderr))
	if r.code == 0 {
		c.t.Fatalf("systemctl reload %s succeeded; the service has no reload", unit)
	}
	if st := c.waitActive(unit); st.MainPID != pid {
		c.t.Fatalf("a refused reload replaced %s's process: %d -> %d", unit, pid, st.MainPID)
	}
}

// scoreVsDebian reads systemd-analyze security's exposure of our unit and
// of Debian's own unit for the same daemon (installed beside it as
// debian-<file>, never started), logs both as "SCORE label ours=X
// debian=Y" and fails the test when ours is the worse. instance is the
// instance name for template units ("" for others).
func (c *container) scoreVsDebian(label, ourUnit, debianFile string, debianUnit []byte, instance string) {
	c.t.Helper()
	path := "/etc/systemd/system/debian-" + debianFile
	c.writeFile(path, debianUnit, 0o644)
	c.must("systemctl", "daemon-reload")
	theirs := "debian-" + debianFile
	if instance != "" {
		theirs = strings.Replace(theirs, "@.", "@"+instance+".", 1)
	}
	ours, deb := c.exposure(ourUnit), c.exposure(theirs)
	c.t.Logf("SCORE %s ours=%.1f debian=%.1f", label, ours, deb)
	c.must("rm", path)
	c.must("systemctl", "daemon-reload")
	if ours > deb {
		c.t.Errorf("%s: our unit's exposure %.1f is worse than Debian's %.1f", label, ours, deb)
	}
}

// sysvRunning fails the test unless the init script's status says the
// service runs and exactly one process named comm runs, the one in the
// pidfile; it returns that process.
func (c *container) sysvRunning(name, comm, pidfile string) int {
	c.t.Helper()
	if r := c.exec("/etc/init.d/"+name, "status"); r.code != 0 {
		x := c.sh("sh -x /etc/init.d/" + name + " start 2>&1 | tail -n 30")
		c.t.Fatalf("status exit %d, want 0: %v\ntrace of a start attempt:\n%s", r.code, r, x.stdout)
	}
	pid := c.onePIDWait(comm)
	if fp := c.pidFromFile(pidfile); fp != pid {
		c.t.Fatalf("pidfile %s says %d, the running %s is %d", pidfile, fp, comm, pid)
	}
	return pid
}

// onePIDWait waits (30 s at most) until exactly one process named comm
// runs, and returns it: a daemon's helper processes come and go.
func (c *container) onePIDWait(comm string) int {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := c.pids(comm)
		if len(p) == 1 {
			return p[0]
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("want one %s process, found %v", comm, p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sysvInstalled checks what installing a .deb on a SysV host leaves:
// the init script and its start link in runlevel 2.
func (c *container) sysvInstalled(name string) {
	c.t.Helper()
	if !c.exists("/etc/init.d/" + name) {
		c.t.Fatalf("/etc/init.d/%s not installed", name)
	}
	if l := c.rcLinks(name); !slices.ContainsFunc(l, func(p string) bool { return strings.HasPrefix(p, "/etc/rc2.d/S") }) {
		c.t.Errorf("no start link in /etc/rc2.d for %s: %v", name, l)
	}
}

// sysvKill9 kills the daemon with SIGKILL where no supervisor runs: the
// init script must then report it dead (status 1: pidfile left, process
// gone) and start it again.
func (c *container) sysvKill9(name, comm string, pid int) {
	c.t.Helper()
	c.must("kill", "-9", strconv.Itoa(pid))
	c.waitNoProcessPID(pid)
	c.t.Logf("kill -9 %d: no supervisor on a SysV host, so nothing restarts %s (checked: status, then start by hand)", pid, name)
	if r := c.exec("/etc/init.d/"+name, "status"); r.code != 1 {
		c.t.Errorf("status after kill -9 exit %d, want 1 (dead, pidfile left): %v", r.code, r)
	}
	c.wantAction(name, "start")
}

// waitNoProcessPID waits up to 30 seconds for process pid to be gone.
func (c *container) waitNoProcessPID(pid int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.exists(fmt.Sprintf("/proc/%d/cmdline", pid)) {
		if time.Now().After(deadline) {
			c.t.Fatalf("PID %d still there", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// purged fails the test unless none of paths exists in the container.
func (c *container) purged(paths ...string) {
	c.t.Helper()
	for _, p := range paths {
		if c.exists(p) {
			c.t.Errorf("%s left after purge", p)
		}
	}
}

// kept fails the test unless every path still exists in the container.
func (c *container) kept(what string, paths ...string) {
	c.t.Helper()
	for _, p := range paths {
		if !c.exists(p) {
			c.t.Errorf("%s removed %s", what, p)
		}
	}
}
