package systemd

import (
	"fmt"

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
		if !spec.ValidPath(p.value) {
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
	return nil
}

func unrepresentable(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnrepresentable, field, fmt.Sprintf(format, args...))
}
