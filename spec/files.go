package spec

import (
	"fmt"
	"path"
	"strings"
)

// The rules for package.files that depend only on the spec: where a package
// may install a file and with which mode. What packaging generates itself
// (units, init scripts, documentation) is checked by packaging, which owns
// those paths; the source files are read only when a package is built.

// packageTrees are the trees a package may install files into: the
// directories the FHS gives to the distribution's packages.
var packageTrees = []string{"/usr/", "/etc/", "/opt/", "/var/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/"}

// pathRule refuses a destination: prefix ending in "/" refuses the tree,
// ending in "*" every path starting with the rest, otherwise the path and
// anything below it.
type pathRule struct {
	prefix, why string
}

// Why a path is refused.
const (
	whyLocal    = "is not the packages' tree (it belongs to the administrator, the users or the running system)"
	whyAccounts = "is the system's account database, kept by useradd and systemd-sysusers (set user and group in the spec instead)"
	whyPrivs    = "grants privileges (sudo, doas, PAM, polkit, SSH access)"
	whyLoader   = "is the dynamic linker's configuration, which every program on the system loads"
	whyCron     = "schedules commands for the whole system (use a systemd timer shipped under /usr/lib/systemd/system instead)"
	whyStartup  = "runs for every login shell or at every boot"
	whyInit     = "is the administrator's init configuration (the package generates its own unit and init script)"
	whyIdentity = "is the system's own configuration (name resolution, mounts, identity)"
	whyTrust    = "is the package managers' state or their trusted sources and keys"
	whyDevices  = "runs commands as root on device, kernel or boot events (udev, kernel hooks, binfmt, systemd generators and sleep/shutdown hooks)"
	whyBus      = "is D-Bus system policy, which grants access to privileged services"
)

// systemPaths are refused destinations inside packageTrees: files no
// distribution package ships, because the system's tools own them or
// because a file there changes how every other program or user is
// authenticated, authorised, scheduled or loaded.
var systemPaths = []pathRule{
	{"/usr/local/", whyLocal}, {"/var/local/", whyLocal}, {"/var/tmp/", whyLocal}, {"/var/run/", whyLocal},
	{"/var/lock/", whyLocal}, {"/var/mail/", whyLocal}, {"/var/spool/mail/", whyLocal},

	{"/etc/passwd*", whyAccounts}, {"/etc/shadow*", whyAccounts}, {"/etc/group*", whyAccounts},
	{"/etc/gshadow*", whyAccounts}, {"/etc/subuid*", whyAccounts}, {"/etc/subgid*", whyAccounts},
	{"/etc/login.defs", whyAccounts}, {"/etc/shells", whyAccounts}, {"/etc/sysusers.d/", whyAccounts},
	{"/usr/lib/sysusers.d/", whyAccounts}, {"/lib/sysusers.d/", whyAccounts},
	{"/usr/lib/userdb/", whyAccounts}, {"/etc/userdb/", whyAccounts},

	{"/etc/sudo*", whyPrivs}, {"/etc/doas*", whyPrivs}, {"/etc/pam.d/", whyPrivs}, {"/etc/pam.conf", whyPrivs},
	{"/usr/lib/pam.d/", whyPrivs}, {"/etc/security/", whyPrivs}, {"/etc/securetty", whyPrivs},
	{"/etc/polkit-1/", whyPrivs}, {"/usr/share/polkit-1/", whyPrivs}, {"/etc/ssh/", whyPrivs},

	{"/etc/ld.so*", whyLoader},

	{"/etc/cron*", whyCron}, {"/etc/anacrontab", whyCron}, {"/etc/at.allow", whyCron}, {"/etc/at.deny", whyCron},
	{"/var/spool/cron/", whyCron},

	{"/etc/profile*", whyStartup}, {"/etc/bash.bashrc", whyStartup}, {"/etc/environment", whyStartup},
	{"/etc/environment.d/", whyStartup}, {"/usr/lib/environment.d/", whyStartup}, {"/etc/update-motd.d/", whyStartup},
	{"/etc/modules", whyStartup}, {"/etc/modules-load.d/", whyStartup}, {"/usr/lib/modules-load.d/", whyStartup},
	{"/lib/modules-load.d/", whyStartup}, {"/etc/modprobe.d/", whyStartup}, {"/usr/lib/modprobe.d/", whyStartup},
	{"/lib/modprobe.d/", whyStartup}, {"/etc/sysctl.conf", whyStartup}, {"/etc/sysctl.d/", whyStartup},
	{"/usr/lib/sysctl.d/", whyStartup}, {"/lib/sysctl.d/", whyStartup},

	{"/etc/udev/", whyDevices}, {"/usr/lib/udev/", whyDevices}, {"/lib/udev/", whyDevices}, {"/etc/kernel/", whyDevices},
	{"/usr/lib/kernel/", whyDevices}, {"/etc/binfmt.d/", whyDevices}, {"/usr/lib/binfmt.d/", whyDevices},
	{"/lib/binfmt.d/", whyDevices}, {"/usr/lib/systemd/system-generators/", whyDevices},
	{"/lib/systemd/system-generators/", whyDevices}, {"/usr/lib/systemd/system-sleep/", whyDevices},
	{"/lib/systemd/system-sleep/", whyDevices}, {"/usr/lib/systemd/system-shutdown/", whyDevices},
	{"/lib/systemd/system-shutdown/", whyDevices}, {"/usr/lib/systemd/system-environment-generators/", whyDevices},
	{"/usr/lib/systemd/user-generators/", whyDevices},

	{"/usr/lib/systemd/system.conf.d/", whyInit}, {"/lib/systemd/system.conf.d/", whyInit},
	{"/usr/lib/systemd/system-preset/", whyInit}, {"/lib/systemd/system-preset/", whyInit},
	{"/etc/network/", whyDevices}, {"/etc/NetworkManager/dispatcher.d/", whyDevices}, {"/etc/xdg/autostart/", whyStartup},
	{"/etc/dbus-1/", whyBus}, {"/usr/share/dbus-1/system.d/", whyBus}, {"/usr/share/dbus-1/system-services/", whyBus},

	{"/etc/systemd/", whyInit}, {"/etc/init.d/", whyInit}, {"/etc/rc.local", whyInit}, {"/etc/rc.d/", whyInit}, {"/etc/rcS.d/", whyInit},
	{"/etc/rc0.d/", whyInit}, {"/etc/rc1.d/", whyInit}, {"/etc/rc2.d/", whyInit}, {"/etc/rc3.d/", whyInit},
	{"/etc/rc4.d/", whyInit}, {"/etc/rc5.d/", whyInit}, {"/etc/rc6.d/", whyInit}, {"/etc/inittab", whyInit},
	{"/etc/init/", whyInit},

	{"/etc/hosts*", whyIdentity}, {"/etc/hostname", whyIdentity}, {"/etc/resolv.conf", whyIdentity},
	{"/etc/nsswitch.conf", whyIdentity}, {"/etc/fstab", whyIdentity}, {"/etc/machine-id", whyIdentity},
	{"/etc/os-release", whyIdentity},

	{"/etc/apt/", whyTrust}, {"/etc/dpkg/", whyTrust}, {"/var/lib/dpkg/", whyTrust}, {"/etc/yum.repos.d/", whyTrust},
	{"/etc/dnf/", whyTrust}, {"/etc/yum/", whyTrust}, {"/etc/pki/", whyTrust}, {"/var/lib/rpm/", whyTrust},
	{"/usr/lib/sysimage/", whyTrust}, {"/etc/alternatives/", whyTrust}, {"/var/lib/dpkg/alternatives/", whyTrust},
}

// standardDirs are directories of every system; a file there would replace
// the directory.
var standardDirs = []string{
	"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/include",
	"/usr/share", "/usr/share/doc", "/usr/share/man", "/usr/share/licenses", "/usr/src", "/usr/games",
	"/usr/lib/systemd", "/usr/lib/systemd/system", "/lib/systemd", "/lib/systemd/system", "/usr/lib/tmpfiles.d",
	"/etc/default", "/etc/logrotate.d", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/opt", "/var/backups",
}

// specialBits are the setuid, setgid and sticky bits of an octal mode.
const specialBits = 0o7000

// othersWrite are the bits that let a group or every local user write a
// file; a package file is root's (root:root), so neither has any business
// writing it.
const othersWrite = 0o022

// unitDirs hold systemd units: a package may add its own there (NAME.*,
// NAME@.*, NAME-*), never another service's.
var unitDirs = []string{"/usr/lib/systemd/system/", "/lib/systemd/system/", "/usr/lib/systemd/user/"}

// pamModuleDir reports whether dst is in a directory of PAM modules,
// /lib/security or a multiarch /usr/lib/TRIPLET/security: every program
// that authenticates loads them.
func pamModuleDir(dst string) bool {
	rest, ok := strings.CutPrefix(dst, "/usr")
	if !ok {
		rest = dst
	}
	for _, lib := range []string{"/lib/", "/lib32/", "/lib64/", "/libx32/"} {
		if tail, ok := strings.CutPrefix(rest, lib); ok {
			parts := strings.Split(tail, "/")
			return parts[0] == "security" || (len(parts) > 2 && parts[1] == "security")
		}
	}
	return false
}

// fileRules checks where each package file goes and its mode, beyond the
// path syntax that pkg checks: dst must be a file inside a tree packages
// own (packageTrees), not a system file (systemPaths) or a standard
// directory, not a directory of another entry; mode must not carry the
// setuid, setgid or sticky bit, nor be writable by others; a file in a
// unit directory must be one of this service's units.
//
// A file owned by a service's account (owner or group other than root)
// may be writable by its owner; group write is allowed only to a group
// other than root; o+w never.
func (v *validator) fileRules(names []string, p *Package) {
	for i, f := range p.Files {
		field := fmt.Sprintf("package.files[%d]", i)
		if f.Mode&specialBits != 0 {
			v.fail(field+".mode", "%04o: setuid, setgid and sticky bits are refused (a service gets its privileges from its unit and init script, user and group)", uint32(f.Mode))
		}
		rootGroup := f.Group == "" || f.Group == "root"
		if f.Mode&0o002 != 0 || (rootGroup && f.Mode&othersWrite != 0) {
			v.fail(field+".mode", "%04o: writable by group or others (a package file is root's; drop the g+w and o+w bits)", uint32(f.Mode))
		}
		if !path.IsAbs(f.Dst) || path.Clean(f.Dst) != f.Dst {
			continue // reported by pkg
		}
		if other := foreignUnit(names, f.Dst); other != "" {
			v.fail(field+".dst", "%q is another service's unit (%s); a package ships only its own units, named %s.* or %s@.*", f.Dst, other, names[0], names[0])
			continue
		}
		if reason := dstProblem(f.Dst); reason != "" {
			v.fail(field+".dst", "%q %s", f.Dst, reason)
			continue
		}
		for j, g := range p.Files {
			if j != i && strings.HasPrefix(g.Dst, f.Dst+"/") {
				v.fail(field+".dst", "%q is a directory of package.files[%d] (%s), it cannot also be a file", f.Dst, j, g.Dst)
				break
			}
		}
	}
}

// dstProblem returns why a clean absolute path may not be a package
// file's destination, or "" when it may.
func dstProblem(dst string) string {
	inTree := false
	for _, t := range packageTrees {
		inTree = inTree || strings.HasPrefix(dst, t)
	}
	if !inTree {
		return "must be inside " + strings.Join(packageTrees, ", ") + " (the trees packages install into)"
	}
	for _, d := range standardDirs {
		if dst == d {
			return "is a standard directory; name the file inside it"
		}
	}
	if pamModuleDir(dst) {
		return whyPrivs
	}
	for _, r := range systemPaths {
		var hit bool
		switch {
		case strings.HasSuffix(r.prefix, "/"):
			hit = strings.HasPrefix(dst, r.prefix)
		case strings.HasSuffix(r.prefix, "*"):
			hit = strings.HasPrefix(dst, strings.TrimSuffix(r.prefix, "*"))
		default:
			hit = dst == r.prefix || strings.HasPrefix(dst, r.prefix+"/")
		}
		if hit {
			return r.why
		}
	}
	return ""
}

// shippedPathErrors is CheckPackage's part of these rules: the package
// ships the environment file of each service (generated, or from
// package.files), so it must be where a package file may go. A spec that
// is only rendered may point environment_file anywhere.
func (s *Spec) shippedPathErrors() Errors {
	var errs Errors
	for _, svc := range s.All() {
		p := svc.EnvironmentFile
		if !path.IsAbs(p) || path.Clean(p) != p {
			continue // reported by Build
		}
		if reason := dstProblem(p); reason != "" {
			errs = append(errs, svc.FieldError("environment_file", fmt.Sprintf("%q %s (the package ships it)", p, reason)))
		}
	}
	return errs
}

// foreignUnit returns the unit (or drop-in directory) name when dst is in
// a unit directory and does not belong to the service name; "" otherwise.
// The service's own units are NAME.*, NAME@.* and, for companion units such
// as NAME-cleanup.timer, NAME-*; a drop-in directory changes the unit it is
// named after, so it must be NAME.*.d or NAME@.*.d (apt-daily.service.d is
// not the service apt's).
//
// names are the base names of the package's services (without a
// template's "@"); a unit of any of them is the package's own.
func foreignUnit(names []string, dst string) string {
	for _, d := range unitDirs {
		base, ok := strings.CutPrefix(dst, d)
		if !ok {
			continue
		}
		// A drop-in directory (ssh.service.d/x.conf) or a wants link
		// directory is named after the unit it changes.
		base, _, dropIn := strings.Cut(base, "/")
		for _, name := range names {
			owns := []string{name + ".", name + "@."}
			if !dropIn {
				owns = append(owns, name+"-")
			}
			for _, own := range owns {
				if strings.HasPrefix(base, own) {
					return ""
				}
			}
		}
		return base
	}
	return ""
}
