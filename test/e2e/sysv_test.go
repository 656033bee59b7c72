//go:build e2e && linux

package e2e

import (
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
	return c
}
