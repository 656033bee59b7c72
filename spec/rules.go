package spec

import (
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexical rules of a spec, in one place. Build applies them to what a
// user wrote; generators that take a *Spec built by hand call the same
// predicates instead of writing the rules again.

// Longest names, in bytes.
const (
	MaxNameLen    = 64 // service name
	MaxAccountLen = 32 // user or group name, as useradd and systemd-sysusers take it
)

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	accountRE  = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	unitNameRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|mount|automount|swap|path|timer|slice|scope|device)$`)
	versionRE  = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
	releaseRE  = regexp.MustCompile(`^[A-Za-z0-9.+~]+$`)
	archRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	limitValRE = regexp.MustCompile(`^([0-9]+|infinity)(:([0-9]+|infinity))?$`)
	relationRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+(:[a-z0-9-]+)?( *\((<<|<=|=|>=|>>) *[A-Za-z0-9.+~:-]+\))?( *\| *[a-z0-9][a-z0-9.+-]+( *\((<<|<=|=|>=|>>) *[A-Za-z0-9.+~:-]+\))?)*$`)
)

// ValidName reports whether n is a service name: [a-z0-9][a-z0-9._-]*,
// or such a name followed by "@" (a template service, see
// Spec.IsTemplate), at most MaxNameLen bytes in all. The empty string and
// "@" are not one.
func ValidName(n string) bool {
	return n != "" && len(n) <= MaxNameLen && nameRE.MatchString(strings.TrimSuffix(n, "@"))
}

// ValidAccount reports whether n is a user or group name:
// [a-z_][a-z0-9_-]*, at most MaxAccountLen bytes. The empty string (no
// account: root) is not one; callers decide whether it may be empty.
func ValidAccount(n string) bool {
	return len(n) <= MaxAccountLen && accountRE.MatchString(n)
}

// ValidEnvName reports whether n is an environment variable name:
// [A-Za-z_][A-Za-z0-9_]*.
func ValidEnvName(n string) bool { return envNameRE.MatchString(n) }

// Printable reports whether t is one line of printable text: valid UTF-8
// without control characters (C0, DEL, C1, which includes NEL) or the
// Unicode line and paragraph separators. The empty string is printable.
func Printable(t string) bool {
	if !utf8.ValidString(t) {
		return false
	}
	for _, r := range t {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// ValidDescription reports whether d can be a spec's description apart
// from its length: Printable, neither starting nor ending with white space,
// and not ending with a backslash (systemd would strip the one and read
// the other as a line continuation). Build defaults an empty description
// to the name, so a Spec's description is never empty.
func ValidDescription(d string) bool {
	return d != "" && Printable(d) && cleanEnds(d)
}

// cleanEnds is ValidDescription's rule for the ends of the text.
func cleanEnds(d string) bool {
	return strings.TrimSpace(d) == d && !strings.HasSuffix(d, `\`)
}

// pathSpecials are the characters a path must not contain: the shell's and
// systemd's special characters.
const pathSpecials = " \t\"'\\$`%;&|<>*?[]{}()!#~"

// pathProblem returns what is wrong with p as a path in a spec, or "".
func pathProblem(p string) string {
	switch {
	case !path.IsAbs(p):
		return strconv.Quote(p) + " must be an absolute path"
	case path.Clean(p) != p:
		return strconv.Quote(p) + " must be a clean path (no //, /./, /../ or trailing /)"
	case !Printable(p):
		return "must not contain control characters or invalid UTF-8"
	case strings.ContainsAny(p, pathSpecials) || strings.ContainsFunc(p, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		return strconv.Quote(p) + " must not contain spaces or shell/systemd special characters"
	}
	return ""
}

// ValidPath reports whether p may stand in a spec as a path (exec,
// pidfile, environment_file, working_directory, package destinations):
// absolute, clean, printable, without white space of any kind and without
// the shell's and systemd's special characters ("'\$`%;&|<>*?[]{}()!#~),
// so that every generator can write it verbatim.
func ValidPath(p string) bool { return pathProblem(p) == "" }

// Valid reports whether t is one of the service types a spec may name.
func (t ServiceType) Valid() bool {
	return slices.Contains([]ServiceType{TypeSimple, TypeExec, TypeNotify, TypeForking}, t)
}

// Valid reports whether r is one of the restart policies a spec may name.
func (r RestartPolicy) Valid() bool {
	return slices.Contains([]RestartPolicy{RestartNo, RestartOnFailure, RestartAlways}, r)
}

// Valid reports whether h is one of the hardening levels a spec may name.
func (h Hardening) Valid() bool {
	return slices.Contains([]Hardening{HardeningOff, HardeningDefault, HardeningStrict}, h)
}

// ValidSignal reports whether sig is one of Signals (a name without the
// SIG prefix).
func ValidSignal(sig string) bool { return slices.Contains(signals, sig) }

// WellFormed reports whether the limit has a known name (see LimitNames)
// and a value of the form "N", "infinity" or "SOFT:HARD". It does not
// check the limit's range or order; see Ordered.
func (l Limit) WellFormed() bool {
	_, known := limitNames[l.Name]
	return known && limitValRE.MatchString(l.Value)
}

// Ordered reports whether the soft limit is not above the hard limit.
func (l Limit) Ordered() bool { return LimitNumber(l.Soft()) <= LimitNumber(l.Hard()) }

// LimitNumber returns a limit value ("infinity" or a decimal number) as a
// number for ordering and unit conversion: infinity, and any number too
// large for 64 bits, is math.MaxUint64.
func LimitNumber(v string) uint64 {
	if v == "infinity" {
		return math.MaxUint64
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return math.MaxUint64
	}
	return n
}

// ValidUnitName reports whether u is a systemd unit name a spec may list
// in after, wants or requires, such as network-online.target.
func ValidUnitName(u string) bool { return unitNameRE.MatchString(u) }

// Valid reports whether l is an address as ParseListen returns it: parsing
// its String form gives l back. A Listen built by hand with a relative or
// unclean socket path, a host that is not an IP address, or a port out of
// range is not valid.
func (l Listen) Valid() bool {
	parsed, err := ParseListen(l.String())
	return err == nil && parsed == l
}
