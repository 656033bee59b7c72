package lint

import (
	"path"
	"slices"
	"strings"
)

// unit is the [Service] section of a generated unit: each directive's
// assignments in order. Generated units have no continuation lines.
type unit map[string][]string

func parseUnit(data []byte) unit {
	u := unit{}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", line[0] == '#', line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
		case section == "Service":
			if key, value, ok := strings.Cut(line, "="); ok {
				u[strings.TrimSpace(key)] = append(u[strings.TrimSpace(key)], strings.TrimSpace(value))
			}
		}
	}
	return u
}

// last is the directive's effective value for a directive where the last
// assignment wins; "" when it is not set.
func (u unit) last(key string) string {
	if v := u[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// words is a list directive's effective words: assignments add up, an
// empty one resets the list. Quotes are removed and "%%" becomes "%".
func (u unit) words(key string) []string {
	var out []string
	for _, v := range u[key] {
		if v == "" {
			out = nil
			continue
		}
		for _, w := range strings.Fields(v) {
			out = append(out, strings.ReplaceAll(strings.Trim(w, `"'`), "%%", "%"))
		}
	}
	return out
}

// set is an allow or deny list as systemd reads RestrictAddressFamilies=
// and the capability sets: a leading "~" makes the assignment a deny
// list; an empty assignment resets.
type set struct {
	configured bool // false: the directive is absent, everything is allowed
	deny       bool
	items      []string
}

func (u unit) set(key string) set {
	var s set
	for _, v := range u[key] {
		if v == "" {
			s = set{configured: true}
			continue
		}
		deny := strings.HasPrefix(v, "~")
		items := strings.Fields(strings.TrimPrefix(v, "~"))
		switch {
		case !s.configured || (len(s.items) == 0 && !s.deny):
			// The first non-empty assignment decides the list's kind.
			s = set{configured: true, deny: deny, items: items}
		case s.deny == deny:
			s.items = append(s.items, items...)
		default:
			// The opposite kind removes from the list.
			s.items = slices.DeleteFunc(s.items, func(i string) bool { return slices.Contains(items, i) })
		}
	}
	return s
}

// allows reports whether item is allowed by the set.
func (s set) allows(item string) bool {
	if !s.configured {
		return true
	}
	return slices.Contains(s.items, item) != s.deny
}

// String is the set as a unit writes it.
func (s set) String() string {
	switch {
	case !s.configured:
		return "(not set)"
	case s.deny:
		return "~" + strings.Join(s.items, " ")
	}
	return strings.Join(s.items, " ")
}

// access is what the service may do with a path inside its sandbox.
type access int

const (
	accessWrite access = iota
	accessReadOnly
	accessNone
)

// rule is one mount the sandbox applies; the deepest rule covering a path
// decides.
type rule struct {
	path   string
	access access
	why    string // the directive that makes it so
}

// sandbox lists the unit's mount rules: ProtectSystem=, ProtectHome=,
// PrivateTmp=, the *Directory= settings, ReadWritePaths=, ReadOnlyPaths=
// and InaccessiblePaths=.
func (u unit) sandbox() []rule {
	var rules []rule
	switch u.last("ProtectSystem") {
	case "strict":
		rules = append(rules, rule{"/", accessReadOnly, "ProtectSystem=strict"},
			rule{"/dev", accessWrite, "ProtectSystem=strict"}, rule{"/proc", accessWrite, "ProtectSystem=strict"},
			rule{"/sys", accessWrite, "ProtectSystem=strict"})
	case "full":
		rules = append(rules, rule{"/usr", accessReadOnly, "ProtectSystem=full"}, rule{"/boot", accessReadOnly, "ProtectSystem=full"},
			rule{"/efi", accessReadOnly, "ProtectSystem=full"}, rule{"/etc", accessReadOnly, "ProtectSystem=full"})
	case "yes", "true", "on", "1":
		rules = append(rules, rule{"/usr", accessReadOnly, "ProtectSystem=yes"}, rule{"/boot", accessReadOnly, "ProtectSystem=yes"},
			rule{"/efi", accessReadOnly, "ProtectSystem=yes"})
	}
	home := u.last("ProtectHome")
	switch home {
	case "yes", "true", "on", "1", "tmpfs":
		for _, p := range []string{"/home", "/root", "/run/user"} {
			rules = append(rules, rule{p, accessNone, "ProtectHome=" + home})
		}
	case "read-only":
		for _, p := range []string{"/home", "/root", "/run/user"} {
			rules = append(rules, rule{p, accessReadOnly, "ProtectHome=read-only"})
		}
	}
	switch u.last("PrivateTmp") {
	case "yes", "true", "on", "1":
		rules = append(rules, rule{"/tmp", accessWrite, "PrivateTmp=yes"}, rule{"/var/tmp", accessWrite, "PrivateTmp=yes"})
	}
	for _, d := range [][2]string{
		{"RuntimeDirectory", "/run"}, {"StateDirectory", "/var/lib"}, {"CacheDirectory", "/var/cache"},
		{"LogsDirectory", "/var/log"}, {"ConfigurationDirectory", "/etc"},
	} {
		key, base := d[0], d[1]
		for _, name := range u.words(key) {
			name, _, _ = strings.Cut(name, ":") // NAME:SYMLINK
			rules = append(rules, rule{path.Join(base, name), accessWrite, key + "=" + name})
		}
	}
	for _, d := range []struct {
		key    string
		access access
	}{{"ReadWritePaths", accessWrite}, {"ReadOnlyPaths", accessReadOnly}, {"InaccessiblePaths", accessNone}} {
		key, a := d.key, d.access
		for _, p := range u.words(key) {
			p = strings.TrimLeft(p, "-+")
			rules = append(rules, rule{path.Clean(p), a, key + "=" + p})
		}
	}
	return rules
}

// judge returns what the sandbox allows on p and the rule that decides;
// a path no rule covers is writable (file permissions permitting).
func judge(rules []rule, p string) (access, string) {
	best, found := rule{}, false
	for _, r := range rules {
		if !within(p, r.path) {
			continue
		}
		// The deeper mount wins; on the same path the stricter one.
		if !found || len(r.path) > len(best.path) || (len(r.path) == len(best.path) && r.access > best.access) {
			best, found = r, true
		}
	}
	if !found {
		return accessWrite, ""
	}
	return best.access, best.why
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return dir == "/" || p == dir || strings.HasPrefix(p, dir+"/")
}
