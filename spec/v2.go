package spec

import (
	"io/fs"
	"slices"
	"strings"
)

// BaseName returns the service name without the trailing "@" of a
// template ("redis-server@" → "redis-server"); the name itself otherwise.
// Paths derived from the name (the default pidfile, environment file and
// runtime directory) use the base name.
func (s *Spec) BaseName() string { return strings.TrimSuffix(s.Name, "@") }

// hardeningDirectives are the sandboxing directives hardening_overrides
// may set or unset: first those the hardening levels emit, in the order
// the unit writes them, then those no level emits.
var hardeningDirectives = []string{
	"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "DevicePolicy",
	"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
	"ProtectClock", "ProtectHostname", "RestrictSUIDSGID", "RestrictRealtime", "RestrictNamespaces",
	"LockPersonality", "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
	"RestrictAddressFamilies", "ProtectProc", "ProcSubset", "PrivateUsers", "MemoryDenyWriteExecute",
	"KeyringMode", "RemoveIPC", "PrivateIPC", "PrivateMounts",
	// Not emitted by any level.
	"DeviceAllow", "PrivateNetwork", "IPAddressAllow", "IPAddressDeny", "RestrictFileSystems",
}

// HardeningDirectives returns the systemd directives hardening_overrides
// may name (by their snake_case form, e.g. proc_subset for ProcSubset):
// the ones the hardening levels emit, in the order the unit writes them
// (the order of templates/systemd-hardening.tmpl), followed by
// DeviceAllow, PrivateNetwork, IPAddressAllow, IPAddressDeny and
// RestrictFileSystems, which no level emits. Capabilities, the umask and
// the path lists have keys of their own and are not among them.
func HardeningDirectives() []string { return slices.Clone(hardeningDirectives) }

// capabilities are the Linux capabilities, in the kernel's numbering
// (CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE is 40).
var capabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Capabilities returns every Linux capability name a spec may list, upper
// case with the CAP_ prefix, in the kernel's numbering (index = number).
func Capabilities() []string { return slices.Clone(capabilities) }

// CanonicalCapability returns the capability name c stands for
// ("net_bind_service", "CAP_NET_BIND_SERVICE", "cap_net_bind_service" →
// "CAP_NET_BIND_SERVICE") and whether it is one of Capabilities.
func CanonicalCapability(c string) (string, bool) {
	u := strings.ToUpper(c)
	if !strings.HasPrefix(u, "CAP_") {
		u = "CAP_" + u
	}
	return u, slices.Contains(capabilities, u)
}

// HasInstanceSpecifier reports whether t holds %i or %I. In a template
// service every "%i" and "%I" in the fields that allow them (args,
// pidfile, directories, description, environment values, exec_start_pre,
// exec_reload) is systemd's instance specifier, and every other "%" is a
// literal percent sign that generators escape, as before v2 ("%%i" is a
// literal "%" followed by the specifier; a template cannot hold a literal
// "%i"). Outside a template, Build refuses %i and %I in those fields.
func HasInstanceSpecifier(t string) bool {
	return strings.Contains(t, "%i") || strings.Contains(t, "%I")
}

// ValidInstancePath reports whether p is a path a template service may
// use for its pidfile or directories: ValidPath once each %i and %I in it
// stands for an instance name. Every other "%" is refused, as ValidPath
// refuses it.
func ValidInstancePath(p string) bool {
	return ValidPath(strings.NewReplacer("%i", "i", "%I", "i").Replace(p))
}

// UnixMode returns the permission bits of m with setuid, setgid and sticky
// in their Unix places (0o2000 for setgid), whether m holds them as Go's
// fs.Mode flags or as raw octal bits, as spec modes may.
func UnixMode(m fs.FileMode) fs.FileMode {
	out := m.Perm() | m&0o7000
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}
