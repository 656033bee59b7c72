package spec

import (
	"testing"
)

// reviewFile is a spec shipping one package file at dst with mode.
func reviewFile(dst, mode string) string {
	return minimal + "package:\n  files:\n    - {src: a, dst: " + dst + ", mode: " + mode + "}\n"
}

// A package file that others may write is as dangerous as a
// setuid one, and more common by mistake: any local user replaces
// /usr/bin/app, which the unit or init script then runs as the service's
// user, as root when the spec names none. `daemonctl package` ships such a
// file as it is (dpkg-deb -c shows -rwxrwxrwx root/root ./usr/bin/echod).
func TestReviewPackageFileWritableByOthers(t *testing.T) {
	for _, mode := range []string{"0777", "0757", "0666", "0646", "0702"} {
		if _, err := build(t, reviewFile("/usr/bin/app", mode)); err == nil {
			t.Errorf("mode %s on /usr/bin/app: accepted; want an error (world-writable package file)", mode)
		}
	}
}

// The rules refuse the administrator's drop-in directories in /etc for
// sysctl, modprobe, modules-load and sudo; the vendor twins of the same
// directories (read by the same tools, at boot or at each sudo) and
// /etc/sudo.conf (loads plugins into sudo) are accepted.
func TestReviewDstVendorTwinsOfRefusedDirs(t *testing.T) {
	for _, c := range []struct{ refused, twin string }{
		{"/etc/sysctl.d/x.conf", "/usr/lib/sysctl.d/x.conf"},
		{"/etc/sysctl.d/x.conf", "/lib/sysctl.d/x.conf"},
		{"/etc/modprobe.d/x.conf", "/usr/lib/modprobe.d/x.conf"},
		{"/etc/modprobe.d/x.conf", "/lib/modprobe.d/x.conf"},
		{"/etc/modules-load.d/x.conf", "/usr/lib/modules-load.d/x.conf"},
		{"/etc/sudoers", "/etc/sudo.conf"},
	} {
		if dstProblem(c.refused) == "" {
			t.Fatalf("%s: accepted, the test's premise is wrong", c.refused)
		}
		if dstProblem(c.twin) == "" {
			t.Errorf("%s is refused but %s is accepted", c.refused, c.twin)
		}
	}
}
