//go:build e2e && linux

package e2e

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHarnessBootsSystemd proves the harness itself: systemd is PID 1 in a
// booted container, commands run inside through nsenter, a hand-placed unit
// starts, and teardown leaves no process behind (checked by teardown).
func TestHarnessBootsSystemd(t *testing.T) {
	c := startContainer(t, rootfsDir, bootSystemd)
	if comm := strings.TrimSpace(c.must("cat", "/proc/1/comm")); comm != "systemd" {
		t.Fatalf("PID 1 in the container is %q, want systemd", comm)
	}
	if !c.exists("/run/systemd/system") {
		t.Fatal("/run/systemd/system missing in a booted container")
	}
	if v := c.must("systemctl", "--version"); !strings.HasPrefix(v, "systemd ") {
		t.Fatalf("systemctl --version: %q", v)
	}
	t.Logf("%s", strings.TrimSpace(c.must("systemd-analyze", "time")))
	c.writeFile("/etc/systemd/system/e2e-probe.service", []byte(
		"[Unit]\nDescription=e2e harness probe\n[Service]\nExecStart=/bin/sleep infinity\n"), 0o644)
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "start", "e2e-probe.service")
	if st := strings.TrimSpace(c.exec("systemctl", "is-active", "e2e-probe.service").stdout); st != "active" {
		t.Fatalf("e2e-probe.service is %q, want active", st)
	}
	pid := showProp(c, "e2e-probe.service", "MainPID")
	if pid == "" || pid == "0" {
		t.Fatalf("e2e-probe.service has no MainPID")
	}
	if comm := strings.TrimSpace(c.must("cat", "/proc/"+pid+"/comm")); comm != "sleep" {
		t.Fatalf("MainPID %s runs %q, want sleep", pid, comm)
	}
}

// TestHarnessNoInit proves the SysV container: nspawn's stub init is PID 1,
// /run/systemd/system does not exist, and runlevel(8) reports the runlevel
// the harness wrote to utmp.
func TestHarnessNoInit(t *testing.T) {
	c := startSysVContainer(t)
	if comm := strings.TrimSpace(c.must("cat", "/proc/1/comm")); comm == "systemd" {
		t.Fatal("PID 1 is systemd in a container started without --boot")
	}
	if got := strings.TrimSpace(c.must("runlevel")); got != "N 2" {
		t.Fatalf("runlevel = %q, want \"N 2\"", got)
	}
	flags, err := strconv.ParseUint(strings.TrimSpace(c.must("cat", "/sys/class/net/lo/flags")), 0, 32)
	if err != nil || flags&unix.IFF_UP == 0 {
		t.Fatalf("loopback is not up: flags %#x, %v", flags, err)
	}
}

// showProp returns one property of a unit from systemctl show.
func showProp(c *container, unit, prop string) string {
	c.t.Helper()
	return strings.TrimSpace(c.must("systemctl", "show", "-p", prop, "--value", unit))
}
