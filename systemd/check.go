package systemd

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/daemonctl/daemonctl/spec"
)

// limitRE is the form of a limit's value.
var limitRE = regexp.MustCompile(`^([0-9]+|infinity)(:([0-9]+|infinity))?$`)

// checkSpec re-checks, as defense in depth, every spec value the templates
// write without quoting: a Spec that did not come from spec.Config.Build
// must not be able to add lines or settings to a unit. spec.Build already
// guarantees all of this for the specs it returns.
func checkSpec(s *spec.Spec) error {
	if s == nil {
		return fmt.Errorf("%w: nil spec", ErrUnrepresentable)
	}
	words := map[string]string{"name": s.Name, "user": s.User, "group": s.Group, "reload_signal": s.ReloadSignal}
	for _, field := range []string{"name", "user", "group", "reload_signal"} {
		if err := checkToken(field, words[field]); err != nil {
			return err
		}
	}
	if s.Name == "" || s.ReloadSignal == "" {
		return fmt.Errorf("%w: name and reload_signal must not be empty", ErrUnrepresentable)
	}
	for field, p := range map[string]string{
		"exec": s.Exec, "pidfile": s.PIDFile, "environment_file": s.EnvironmentFile, "working_directory": s.WorkingDirectory,
	} {
		if err := checkPath(field, p); err != nil {
			return err
		}
	}
	for field, list := range map[string][]string{"after": s.After, "wants": s.Wants, "requires": s.Requires} {
		for _, u := range list {
			if err := checkToken(field, u); err != nil {
				return err
			}
		}
	}
	for _, l := range s.Limits {
		if l.Directive() == "" || !limitRE.MatchString(l.Value) {
			return fmt.Errorf("%w: limits.%s: %q is not a known limit with a number, infinity or SOFT:HARD", ErrUnrepresentable, l.Name, l.Value)
		}
	}
	for _, l := range s.Listen {
		if l.Network == spec.NetworkUnix {
			if err := checkPath("listen", l.Path); err != nil {
				return err
			}
		} else if err := checkToken("listen", l.BindStream()); err != nil {
			return err
		}
	}
	switch {
	case !slices.Contains([]spec.ServiceType{spec.TypeSimple, spec.TypeExec, spec.TypeNotify, spec.TypeForking}, s.Type):
		return fmt.Errorf("%w: type: %q is not simple, exec, notify or forking", ErrUnrepresentable, s.Type)
	case !slices.Contains([]spec.RestartPolicy{spec.RestartNo, spec.RestartOnFailure, spec.RestartAlways}, s.Restart):
		return fmt.Errorf("%w: restart: %q is not no, on-failure or always", ErrUnrepresentable, s.Restart)
	case !slices.Contains([]spec.Hardening{spec.HardeningOff, spec.HardeningDefault, spec.HardeningStrict}, s.Hardening):
		return fmt.Errorf("%w: hardening: %q is not off, default or strict", ErrUnrepresentable, s.Hardening)
	case s.StopTimeout <= 0:
		return fmt.Errorf("%w: stop_timeout must be greater than 0 (0 means no timeout to systemd)", ErrUnrepresentable)
	}
	return nil
}

// checkToken refuses a value that is not one word of printable text
// without quotes, %, $ or ; (backslashes stay allowed: unit names use them
// for escapes).
func checkToken(field, v string) error {
	if strings.ContainsFunc(v, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`"'%$;`, r)
	}) {
		return fmt.Errorf("%w: %s: %q must be one word without quotes, %%, $ or ;", ErrUnrepresentable, field, v)
	}
	return nil
}

// checkPath refuses a path that systemd would not take verbatim: it must
// be absolute, clean, and free of white space, quotes, backslashes, %, $
// and ;.
func checkPath(field, p string) error {
	if !path.IsAbs(p) || path.Clean(p) != p {
		return fmt.Errorf("%w: %s: %q is not a clean absolute path", ErrUnrepresentable, field, p)
	}
	if strings.ContainsFunc(p, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`"'\%$;`, r)
	}) {
		return fmt.Errorf("%w: %s: %q must not contain white space, quotes, backslashes, %%, $ or ;", ErrUnrepresentable, field, p)
	}
	return nil
}
