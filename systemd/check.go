package systemd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// checkSpec refuses, as defense in depth, a Spec built by hand that breaks
// a rule of package spec which the templates rely on to write a value
// without quoting: such a Spec must not be able to add lines or settings
// to a unit. The rules are spec's own predicates, not a copy of them; a
// Spec returned by spec.Config.Build always passes. Only the lexical rules
// are applied: bounds such as spec.MaxDuration or a pidfile's directory
// are Build's to enforce, and the generator renders what they leave.
func checkSpec(s *spec.Spec) error {
	if s == nil {
		return fmt.Errorf("%w: nil spec", ErrUnrepresentable)
	}
	switch {
	case !spec.ValidName(s.Name):
		return unrepresentable("name", "%q is not a service name", s.Name)
	case s.User != "" && !spec.ValidAccount(s.User):
		return unrepresentable("user", "%q is not an account name", s.User)
	case s.Group != "" && !spec.ValidAccount(s.Group):
		return unrepresentable("group", "%q is not an account name", s.Group)
	case !spec.ValidSignal(s.ReloadSignal):
		return unrepresentable("reload_signal", "%q is not a signal name", s.ReloadSignal)
	case !spec.ValidDescription(s.Description):
		return unrepresentable("description", "must be one line of printable text, neither starting nor ending with white space nor ending with a backslash")
	case !s.Type.Valid():
		return unrepresentable("type", "%q is not simple, exec, notify or forking", s.Type)
	case !s.Restart.Valid():
		return unrepresentable("restart", "%q is not no, on-failure or always", s.Restart)
	case !s.Hardening.Valid():
		return unrepresentable("hardening", "%q is not off, default or strict", s.Hardening)
	case s.StopTimeout <= 0:
		return unrepresentable("stop_timeout", "must be greater than 0 (0 means no timeout to systemd)")
	}
	for _, p := range []struct{ field, value string }{
		{"exec", s.Exec}, {"pidfile", s.PIDFile}, {"environment_file", s.EnvironmentFile}, {"working_directory", s.WorkingDirectory},
	} {
		if !s.ValidPathIn(p.value) {
			return unrepresentable(p.field, "%q is not a clean absolute path without white space or special characters", p.value)
		}
	}
	for _, dep := range []struct {
		field string
		units []string
	}{{"after", s.After}, {"wants", s.Wants}, {"requires", s.Requires}} {
		for _, u := range dep.units {
			if !spec.ValidUnitName(u) {
				return unrepresentable(dep.field, "%q is not a unit name", u)
			}
		}
	}
	for _, l := range s.Limits {
		if !l.WellFormed() {
			return unrepresentable("limits."+l.Name, "%q is not a known limit with a number, infinity or SOFT:HARD", l.Value)
		}
	}
	for _, l := range s.Listen {
		if !l.Valid() {
			return unrepresentable("listen", "%q is not an address as spec.ParseListen returns it", l.String())
		}
	}
	return checkV2(s)
}

// checkV2 applies checkSpec's rules to the fields spec v2 added.
func checkV2(s *spec.Spec) error {
	for _, e := range s.ArgsFromEnv {
		if !spec.ValidEnvName(e.Name) {
			return unrepresentable("args_from_env", "%q is not a variable name", e.Name)
		}
	}
	for _, d := range s.Directories {
		if !d.Kind.Valid() || strings.HasPrefix(d.Name, "/") || !s.ValidPathIn(d.Path()) {
			return unrepresentable(string(d.Kind)+"_directory", "%q is not a clean relative path without white space or special characters", d.Name)
		}
	}
	for _, p := range []struct {
		field string
		paths []string
	}{{"read_write_paths", s.ReadWritePaths}, {"read_only_paths", s.ReadOnlyPaths}, {"inaccessible_paths", s.InaccessiblePaths}} {
		for _, v := range p.paths {
			if !s.ValidPathIn(strings.TrimPrefix(v, "-")) {
				return unrepresentable(p.field, "%q is not a clean absolute path, optionally after \"-\"", v)
			}
		}
	}
	for _, c := range slices.Concat(s.CapabilityBoundingSet, s.AmbientCapabilities) {
		if !slices.Contains(spec.Capabilities(), c) {
			return unrepresentable("capabilities", "%q is not a capability name such as CAP_NET_BIND_SERVICE", c)
		}
	}
	if s.UMask != "" && !spec.ValidUMask(s.UMask) {
		return unrepresentable("umask", "%q is not four octal digits", s.UMask)
	}
	for _, o := range s.HardeningOverrides {
		if !spec.ValidOverride(o) {
			return unrepresentable("hardening_overrides", "%s=%q is not a sandboxing directive and value overrides may set", o.Directive, o.Value)
		}
	}
	switch {
	case s.Reload != "" && !s.Reload.Valid(): // "": a Spec built by hand before v2, as signal
		return unrepresentable("reload", "%q is not signal, command or none", s.Reload)
	case s.Reload == spec.ReloadCommand && len(s.ExecReload) == 0:
		return unrepresentable("exec_reload", "reload: command needs a command")
	}
	cmds := slices.Clone(s.ExecStartPre)
	if s.Reload == spec.ReloadCommand {
		cmds = append(cmds, s.ExecReload)
	}
	for _, argv := range cmds {
		if len(argv) == 0 || !spec.ValidPath(argv[0]) {
			return unrepresentable("exec_start_pre", "every command needs a program given by a clean absolute path")
		}
	}
	if s.KillMode != "" && !s.KillMode.Valid() {
		return unrepresentable("kill_mode", "%q is not control-group, mixed or process", s.KillMode)
	}
	if s.StartLimitInterval < 0 || s.StartLimitBurst < 0 {
		return unrepresentable("start_limit", "must not be negative")
	}
	for _, d := range s.Documentation {
		if !spec.ValidDocumentation(d) {
			return unrepresentable("documentation", "%q is not one word of printable text", d)
		}
	}
	for _, a := range s.Aliases {
		if !s.ValidAliasOf(a) {
			return unrepresentable("alias", "%q is not a service name (ending in @ exactly when the service is a template)", a)
		}
	}
	return nil
}

func unrepresentable(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnrepresentable, field, fmt.Sprintf(format, args...))
}
