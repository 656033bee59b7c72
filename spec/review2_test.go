package spec

import (
	"testing"
)

// A package may ship its own units and drop-ins, named NAME.*, NAME@.*
// and NAME-*. The NAME-* pattern also matches other services whose names
// begin with NAME and a dash, which are common in the distribution: a
// service named "apt" ships a drop-in for apt-daily.service (run as root
// every day), "systemd" one for systemd-journald.service, "cloud" one for
// cloud-init.service, "network" one for network-online.target. Drop-ins
// are exactly what the first review's fix meant to refuse for other
// services (no dpkg file conflict stops them: the directory is new).
func TestReview2ForeignDropInThroughNamePrefix(t *testing.T) {
	if _, err := build(t, reviewFile("/usr/lib/systemd/system/apt-daily.service.d/x.conf", "0644")); err == nil {
		t.Fatal("service app: apt-daily's drop-in accepted: the test's premise is wrong")
	}
	for _, c := range []struct{ name, dst string }{
		{"apt", "/usr/lib/systemd/system/apt-daily.service.d/x.conf"},
		{"systemd", "/usr/lib/systemd/system/systemd-journald.service.d/x.conf"},
		{"cloud", "/usr/lib/systemd/system/cloud-init.service.d/x.conf"},
		{"network", "/usr/lib/systemd/system/network-online.target.d/x.conf"},
	} {
		y := "name: " + c.name + "\nexec: /usr/bin/app\npidfile: /run/x/x.pid\npackage:\n  files:\n    - {src: a, dst: " + c.dst + "}\n"
		if _, err := build(t, y); err == nil {
			t.Errorf("service %q: %s accepted; want an error (another service's drop-in)", c.name, c.dst)
		}
	}
}

// Destinations next to the refused ones that run code as root for every
// service, at every boot or on system events, and are accepted: systemd's
// manager configuration (DefaultEnvironment=LD_PRELOAD=... reaches every
// service), presets (enable or disable any unit at installation), the
// /lib twin of the user unit directory, ifupdown and NetworkManager hooks
// (root scripts on network events), and per-login autostart.
func TestReview2DstRootHooksAccepted(t *testing.T) {
	for _, dst := range []string{
		"/usr/lib/systemd/system.conf.d/x.conf",
		"/lib/systemd/system.conf.d/x.conf",
		"/usr/lib/systemd/system-preset/00-x.preset",
		"/etc/network/if-up.d/x",
		"/etc/NetworkManager/dispatcher.d/x",
		"/etc/xdg/autostart/x.desktop",
	} {
		if dstProblem(dst) == "" {
			t.Errorf("%s accepted; want it refused (runs as root for the whole system)", dst)
		}
	}
	// The premise: the same kinds of hooks are refused elsewhere.
	for _, dst := range []string{"/etc/systemd/system.conf.d/x.conf", "/usr/lib/udev/rules.d/x.rules", "/etc/profile.d/x.sh"} {
		if dstProblem(dst) == "" {
			t.Fatalf("%s accepted: the test's premise is wrong", dst)
		}
	}
}

// Only the o+w bit is refused: a package file writable by its group (root,
// the group packaging gives it) passes, 0775 on the service's executable
// included. Members of group root are not root; the first review's reason
// (anyone who may write /usr/bin/app runs code as the service) holds.
func TestReview2PackageFileWritableByGroup(t *testing.T) {
	for _, mode := range []string{"0775", "0664", "0620"} {
		if _, err := build(t, reviewFile("/usr/bin/app", mode)); err == nil {
			t.Errorf("mode %s on /usr/bin/app: accepted; want an error (group-writable package file)", mode)
		}
	}
}
