package sysv

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// umaskRE is what the script's umask builtin takes from a spec: three or
// four octal digits.
var umaskRE = regexp.MustCompile(`^0?[0-7]{3}$`)

// v2View checks the spec v2 fields that reach the script and fills their
// part of v. Zero values leave v as before v2, so that an old spec renders
// byte for byte as it did.
func v2View(v *view, s *spec.Spec) error {
	for i, a := range s.Aliases {
		if !spec.ValidName(a) || strings.HasSuffix(a, "@") || a == s.Name {
			return unsafe(fmt.Sprintf("alias[%d]", i), "%q must be another service name, [a-z0-9][a-z0-9._-]*", a)
		}
	}
	v.Aliases = s.Aliases
	// The default (the homepage) is left out: the script had no such line
	// before v2, and a homepage is not what an admin looks for there.
	if !(len(s.Documentation) == 1 && s.Documentation[0] == s.Package.Homepage) {
		for i, d := range s.Documentation {
			if d == "" || !spec.Printable(d) {
				return unsafe(fmt.Sprintf("documentation[%d]", i), "must be one line of printable text")
			}
		}
		v.Documentation = s.Documentation
	}
	for _, e := range s.ArgsFromEnv {
		field := "args_from_env." + e.Name
		switch {
		case !spec.ValidEnvName(e.Name):
			return unsafe(field, "variable names must match [A-Za-z_][A-Za-z0-9_]*")
		case slices.Contains(shellSpecialEnv, e.Name) || strings.HasPrefix(e.Name, "BASH"):
			return unsafe(field, "%s is special to the shell and cannot be read from the environment file", e.Name)
		}
		v.ArgsFromEnv = append(v.ArgsFromEnv, e.Name)
	}
	for i, d := range s.Directories {
		field := fmt.Sprintf("directories[%d]", i)
		p := d.Path()
		if d.Kind.Base() == "" || !spec.ValidPath(p) || d.Name == "" || slices.Contains(strings.Split(d.Name, "/"), "..") {
			return unsafe(field, "%q must be a clean path below the %s base directory", p, d.Kind)
		}
		if d.Mode&^(0o7777|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky|fs.ModeDir) != 0 {
			return unsafe(field, "mode %o is not a permission mode", d.Mode)
		}
		owner := "account"
		if d.Kind == spec.DirConfiguration {
			owner = "root"
		}
		v.Directories = append(v.Directories, directory{Base: d.Kind.Base(), Name: d.Name, Mode: chmodMode(d.Mode), Owner: owner})
	}
	bounding, err := setprivCaps("capability_bounding_set", s.CapabilityBoundingSet)
	if err != nil {
		return err
	}
	ambient, err := setprivCaps("ambient_capabilities", s.AmbientCapabilities)
	if err != nil {
		return err
	}
	if s.CapabilityBoundingSet != nil {
		// setpriv takes "-all" and then what stays.
		v.Bounding = strings.Join(append([]string{"-all"}, bounding...), ",")
	}
	v.Ambient = strings.Join(ambient, ",")
	v.Caps = v.Bounding != "" || v.Ambient != ""
	v.UMask = "022"
	if s.UMask != "" {
		if !umaskRE.MatchString(s.UMask) {
			return unsafe("umask", "%q must be three or four octal digits", s.UMask)
		}
		v.UMask = s.UMask
	}
	switch s.Reload {
	case "", spec.ReloadSignal:
	case spec.ReloadNone:
		v.ReloadNone = true
		v.ReloadSignal = ""
	case spec.ReloadCommand:
		if err := checkArgv("exec_reload", s.ExecReload); err != nil {
			return err
		}
		v.ExecReload = s.ExecReload
		v.ReloadSignal = ""
	default:
		return unsafe("reload", "%q is not signal, command or none", s.Reload)
	}
	for i, c := range s.ExecStartPre {
		if err := checkArgv(fmt.Sprintf("exec_start_pre[%d]", i), c); err != nil {
			return err
		}
	}
	v.ExecStartPre = s.ExecStartPre
	v.StopInfinite = s.StopTimeoutInfinite
	v.NoKill = !s.SendSIGKILL
	switch s.KillMode {
	case "", spec.KillProcess:
	case spec.KillControlGroup, spec.KillMixed:
		v.KillGroup = string(s.KillMode)
		v.GroupLeftovers = s.KillMode == spec.KillControlGroup || s.SendSIGKILL
	default:
		return unsafe("kill_mode", "%q is not control-group, mixed or process", s.KillMode)
	}
	return nil
}

// chmodMode returns m as chmod's octal digits: the low 12 bits as the
// spec stores them, or Go's setuid, setgid and sticky flags.
func chmodMode(m fs.FileMode) string {
	bits := uint32(m) & 0o7777
	for flag, bit := range map[fs.FileMode]uint32{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if m&flag != 0 {
			bits |= bit
		}
	}
	return fmt.Sprintf("%04o", bits)
}

// setprivCaps converts capability names (CAP_NET_BIND_SERVICE) to
// setpriv's list entries (+net_bind_service).
func setprivCaps(field string, caps []string) ([]string, error) {
	known := spec.Capabilities()
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if !slices.Contains(known, c) {
			return nil, unsafe(field, "%q is not a capability name such as CAP_NET_BIND_SERVICE", c)
		}
		out = append(out, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	return out, nil
}

// checkArgv checks a command the script runs: an absolute program and
// arguments without NUL bytes.
func checkArgv(field string, argv []string) error {
	if len(argv) == 0 || !spec.ValidPath(argv[0]) {
		return unsafe(field, "must start with a clean absolute program path")
	}
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return unsafe(fmt.Sprintf("%s[%d]", field, i), "must not contain a NUL byte")
		}
	}
	return nil
}
