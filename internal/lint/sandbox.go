package lint

import (
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// sandboxFindings judges the service's generated unit against what its
// spec declares: listen address families, paths it writes, privileged
// ports, and /proc restrictions.
func sandboxFindings(root *spec.Spec, sv Service) []Finding {
	s := sv.Spec
	u := parseUnit(sv.Units[0].Data)
	var out []Finding
	families := u.set("RestrictAddressFamilies")
	for i, l := range s.Listen {
		need := addressFamilies(l)
		if slices.ContainsFunc(need, families.allows) {
			continue
		}
		out = append(out, sv.finding(root, fmt.Sprintf("listen[%d]", i), SeverityWarning,
			"%s needs %s, which RestrictAddressFamilies=%s leaves out (%s): the program cannot open such a socket itself; add %s to hardening_overrides.restrict_address_families",
			l, strings.Join(need, " or "), families, setBy(s, "RestrictAddressFamilies"), need[0]))
	}
	out = append(out, pathFindings(root, sv, u)...)
	out = append(out, portFindings(root, sv, u)...)
	if v := u.last("ProcSubset"); v == "pid" {
		out = append(out, sv.finding(root, directiveField(s, "ProcSubset"), SeverityNote,
			"ProcSubset=pid hides everything in /proc but processes (meminfo, stat, net, ...): programs that read /proc, such as metrics exporters, break; set hardening_overrides: {proc_subset: all} for them"))
	}
	if v := u.last("ProtectProc"); v == "invisible" || v == "ptraceable" {
		out = append(out, sv.finding(root, directiveField(s, "ProtectProc"), SeverityNote,
			"ProtectProc=%s hides other users' processes in /proc: programs that watch other processes (exporters, monitoring agents) see none; set hardening_overrides: {protect_proc: default} for them", v))
	}
	return out
}

// addressFamilies are the socket families of which a program needs one to
// open l itself: AF_UNIX for a unix socket; for TCP the family of a
// literal address, either for a host name or every address (a dual-stack
// AF_INET6 socket or an AF_INET one).
func addressFamilies(l spec.Listen) []string {
	if l.Network == spec.NetworkUnix {
		return []string{"AF_UNIX"}
	}
	if a, err := netip.ParseAddr(l.Host); err == nil {
		if a.Is4() || a.Is4In6() {
			return []string{"AF_INET"}
		}
		return []string{"AF_INET6"}
	}
	return []string{"AF_INET", "AF_INET6"}
}

// pathFindings warns about each path the service writes (its pidfile's
// directory, its log files, the package's directories and files its
// account owns with write permission, such as a configuration the program
// rewrites) that its sandbox leaves read-only or hides.
func pathFindings(root *spec.Spec, sv Service, u unit) []Finding {
	s := sv.Spec
	type written struct{ field, what, path string }
	var paths []written
	if s.PIDFile != "" {
		paths = append(paths, written{"pidfile", "the pidfile's directory", path.Dir(s.PIDFile)})
	}
	if s.LogRotate != nil {
		for i, f := range s.LogRotate.Files {
			paths = append(paths, written{fmt.Sprintf("logrotate.files[%d]", i), "the log file " + f, globDir(f)})
		}
	}
	if nonRoot := s.User != "" && s.User != "root"; nonRoot {
		for i, d := range root.Package.Directories {
			if writable(s, d.Owner, d.Group, d.Mode) {
				paths = append(paths, written{fmt.Sprintf("package.directories[%d]", i), "the directory " + d.Path + " its account may write", d.Path})
			}
		}
		for i, f := range root.Package.Files {
			if writable(s, f.Owner, f.Group, f.Mode) {
				paths = append(paths, written{fmt.Sprintf("package.files[%d]", i), "the file " + f.Dst + " its account may write", f.Dst})
			}
		}
	}
	rules := u.sandbox()
	var out []Finding
	for _, w := range paths {
		a, why := judge(rules, w.path)
		if a == accessWrite {
			continue
		}
		state := "read-only"
		if a == accessNone {
			state = "hidden"
		}
		field := w.field
		if strings.HasPrefix(field, "package.") {
			// The package's own keys are the top spec's, whichever
			// service the account runs.
			out = append(out, Finding{File: root.Source, Line: root.Line(field), Field: field, Severity: SeverityWarning,
				Message: fmt.Sprintf("%s (%s) is %s in the sandbox of %s (%s): the program cannot write there under systemd; add it to read_write_paths",
					w.what, w.path, state, sv.Units[0].Name, why)})
			continue
		}
		out = append(out, sv.finding(root, field, SeverityWarning,
			"%s (%s) is %s in the sandbox (%s): the program cannot write there under systemd; add it to read_write_paths or declare it as a runtime, state, cache or logs directory",
			w.what, w.path, state, why))
	}
	return out
}

// writable reports whether the service's account may write a shipped
// path with this owner, group and mode (a group defaults to the owner).
func writable(s *spec.Spec, owner, group string, mode fs.FileMode) bool {
	if group == "" {
		group = owner
	}
	return (owner == s.User && mode&0o200 != 0) || (group != "" && group == s.Group && mode&0o020 != 0)
}

// globDir is the directory holding the files a logrotate pattern names:
// the part before the first path element with a glob character.
func globDir(pattern string) string {
	dir := path.Dir(pattern)
	for i := strings.IndexAny(dir, "*?["); i >= 0; i = strings.IndexAny(dir, "*?[") {
		dir = path.Dir(dir[:i] + "x")
	}
	return dir
}

// portFindings warns about a TCP port below 1024 the service's account
// cannot bind: a non-root user without CAP_NET_BIND_SERVICE among its
// ambient capabilities, or root whose bounding set leaves it out.
func portFindings(root *spec.Spec, sv Service, u unit) []Finding {
	s := sv.Spec
	var out []Finding
	nonRoot := s.User != "" && s.User != "root"
	for i, l := range s.Listen {
		if l.Network != spec.NetworkTCP || l.Port >= 1024 {
			continue
		}
		const cap = "CAP_NET_BIND_SERVICE"
		switch {
		case nonRoot && !slices.Contains(s.AmbientCapabilities, cap):
			out = append(out, sv.finding(root, fmt.Sprintf("listen[%d]", i), SeverityWarning,
				"port %d is below 1024 and user %s has no %s: the program cannot bind it itself (the init script starts it as %s; only systemd's .socket binds it for the unit); add ambient_capabilities: [%s]",
				l.Port, s.User, cap, s.User, cap))
		case !nonRoot && (!u.set("CapabilityBoundingSet").allows(cap) || (s.CapabilityBoundingSet != nil && !slices.Contains(s.CapabilityBoundingSet, cap))):
			out = append(out, sv.finding(root, fmt.Sprintf("listen[%d]", i), SeverityWarning,
				"port %d is below 1024 and the capability bounding set leaves out %s: even root cannot bind it; add it to capability_bounding_set",
				l.Port, cap))
		}
	}
	return out
}

// setBy says which part of the spec decided a sandbox directive.
func setBy(s *spec.Spec, directive string) string {
	if f := directiveField(s, directive); f != "hardening" {
		return f
	}
	return "hardening: " + string(s.Hardening)
}

// directiveField is the spec field that decides a sandbox directive: its
// hardening_overrides entry when the spec has one, else the level.
func directiveField(s *spec.Spec, directive string) string {
	for _, o := range s.HardeningOverrides {
		if o.Directive == directive {
			return "hardening_overrides." + overrideKey(directive)
		}
	}
	return "hardening"
}

// overrideKey is the hardening_overrides key of a directive (spec owns
// the names: OverrideKeys is index for index HardeningDirectives).
func overrideKey(directive string) string {
	if i := slices.Index(spec.HardeningDirectives(), directive); i >= 0 {
		return spec.OverrideKeys()[i]
	}
	return directive
}
