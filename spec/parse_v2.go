package spec

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The decoders of the v2 keys (issue 8). Each records the line of its
// value and reports a value of the wrong kind; Build checks the values.

// stopTimeout decodes stop_timeout: a duration or "infinity".
func (p *parser) stopTimeout(c *Config) keyHandler {
	d := p.duration(&c.StopTimeout)
	return func(field string, n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value == "infinity" {
			p.at(field, n)
			c.StopTimeoutInfinite = true
			return
		}
		d(field, n)
	}
}

// integer decodes a YAML integer written in decimal.
func (p *parser) integer(dst **int) keyHandler {
	return func(field string, n *yaml.Node) {
		v, ok := p.scalar(field, n)
		if !ok {
			return
		}
		i, err := strconv.Atoi(v)
		if err != nil || n.Tag != "!!int" || strings.TrimLeft(v, "0123456789") != "" {
			p.fail(n.Line, field, fmt.Sprintf("%q must be a whole number", v))
			return
		}
		*dst = &i
	}
}

// mode decodes an octal file mode ("0755", 0755, "0o755").
func (p *parser) mode(dst **uint32) keyHandler {
	return func(field string, n *yaml.Node) {
		v, ok := p.scalar(field, n)
		if !ok {
			return
		}
		m, err := strconv.ParseUint(strings.TrimPrefix(v, "0o"), 8, 32)
		if err != nil || m > 0o7777 {
			p.fail(n.Line, field, fmt.Sprintf("%q is not an octal file mode like 0755", v))
			return
		}
		mode := uint32(m)
		*dst = &mode
	}
}

// argsFromEnv decodes args_from_env: an ordered mapping of NAME: default,
// where an empty default may be written as null.
func (p *parser) argsFromEnv(dst *[]EnvVar) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind != yaml.MappingNode {
			p.fail(n.Line, field, "must be a mapping of NAME: default value, not "+kindName(n))
			return
		}
		out := []EnvVar{}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolveAlias(n.Content[i+1])
			f := field + "." + k.Value
			if seen[k.Value] {
				p.fail(k.Line, f, "duplicate variable")
				continue
			}
			seen[k.Value] = true
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				p.at(f, v)
				out = append(out, EnvVar{Name: k.Value})
				continue
			}
			if val, ok := p.scalar(f, v); ok {
				out = append(out, EnvVar{Name: k.Value, Value: val})
			}
		}
		*dst = out
	}
}

// commands decodes exec_start_pre: a list of argv lists.
func (p *parser) commands(dst *[][]string) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind != yaml.SequenceNode {
			p.fail(n.Line, field, "must be a list of commands, each a list like [/usr/sbin/prog, -t], not "+kindName(n))
			return
		}
		out := make([][]string, 0, len(n.Content))
		for i, item := range n.Content {
			var argv []string
			f := fmt.Sprintf("%s[%d]", field, i)
			item = resolveAlias(item)
			if item.Kind != yaml.SequenceNode {
				p.at(f, item)
				p.fail(item.Line, f, "must be a command as a list like [/usr/sbin/prog, -t], not "+kindName(item))
				continue
			}
			p.strList(&argv)(f, item)
			out = append(out, argv)
		}
		*dst = out
	}
}

// directories decodes <kind>_directory: one name or a list of names.
func (p *parser) directories(c *Config, k DirectoryKind) keyHandler {
	return func(field string, n *yaml.Node) {
		var names []string
		if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
			v, ok := p.scalar(field, n)
			if !ok {
				return
			}
			names = []string{v}
		} else {
			p.strList(&names)(field, n)
			if names == nil {
				return
			}
		}
		if c.Directories == nil {
			c.Directories = map[DirectoryKind][]string{}
		}
		c.Directories[k] = names
	}
}

// directoryMode decodes <kind>_directory_mode.
func (p *parser) directoryMode(c *Config, k DirectoryKind) keyHandler {
	return func(field string, n *yaml.Node) {
		var m *uint32
		p.mode(&m)(field, n)
		if m == nil {
			return
		}
		if c.DirectoryModes == nil {
			c.DirectoryModes = map[DirectoryKind]uint32{}
		}
		c.DirectoryModes[k] = *m
	}
}

// overrides decodes hardening_overrides: snake_case directive → scalar,
// list of scalars, or null. Booleans become yes/no; a list becomes one
// Override per item (an empty list unsets the directive, as null does).
func (p *parser) overrides(dst *[]Override) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind != yaml.MappingNode {
			p.fail(n.Line, field, "must be a mapping of directive: value (like proc_subset: all), not "+kindName(n))
			return
		}
		out := []Override{}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolveAlias(n.Content[i+1])
			f := field + "." + k.Value
			p.cfg.lines[f] = k.Line
			if seen[k.Value] {
				p.fail(k.Line, f, "duplicate directive")
				continue
			}
			seen[k.Value] = true
			directive, problem := overrideDirective(k.Value)
			if problem != "" {
				p.fail(k.Line, f, problem)
				continue
			}
			switch {
			case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
				out = append(out, Override{Directive: directive})
			case v.Kind == yaml.SequenceNode:
				var items []string
				p.strList(&items)(f, v)
				if len(items) == 0 {
					out = append(out, Override{Directive: directive})
				}
				for _, it := range items {
					out = append(out, Override{Directive: directive, Value: it})
				}
			case v.Kind == yaml.ScalarNode && v.Tag == "!!bool":
				var b bool
				if err := v.Decode(&b); err != nil {
					p.fail(v.Line, f, "must be true or false")
					continue
				}
				out = append(out, Override{Directive: directive, Value: map[bool]string{true: "yes", false: "no"}[b]})
			default:
				if val, ok := p.scalar(f, v); ok {
					if val == "" {
						p.fail(v.Line, f, "must not be empty (null leaves the directive out)")
						continue
					}
					out = append(out, Override{Directive: directive, Value: val})
				}
			}
		}
		*dst = out
	}
}

// logrotate decodes the logrotate mapping.
func (p *parser) logrotate(dst **LogRotateConfig) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		lr := &LogRotateConfig{}
		p.mapping(n, field, map[string]keyHandler{
			"files":     p.strList(&lr.Files),
			"method":    p.str(&lr.Method),
			"frequency": p.str(&lr.Frequency),
			"rotate":    p.integer(&lr.Rotate),
			"compress":  p.boolean(&lr.Compress),
			"mode":      p.mode(&lr.Mode),
		})
		if n.Kind == yaml.MappingNode {
			*dst = lr
		}
	}
}

// packageDirs decodes package.directories.
func (p *parser) packageDirs(dst *[]PackageDirConfig) keyHandler {
	return mappingList(p, dst, "{path, owner, group, mode}", func(dc *PackageDirConfig) map[string]keyHandler {
		return map[string]keyHandler{
			"path":  p.str(&dc.Path),
			"owner": p.str(&dc.Owner),
			"group": p.str(&dc.Group),
			"mode":  p.mode(&dc.Mode),
		}
	})
}

// services decodes services: a list of service mappings, each with every
// key of a service except package and services.
func (p *parser) services(field string, n *yaml.Node) {
	p.at(field, n)
	if n.Kind != yaml.SequenceNode {
		p.fail(n.Line, field, "must be a list of services (mappings with name, exec, ...), not "+kindName(n))
		return
	}
	out := make([]*Config, 0, len(n.Content))
	for i, item := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		c := &Config{Source: p.cfg.Source, lines: p.cfg.lines, field: f + "."}
		p.at(f, item)
		keys := serviceKeys(p, c)
		for _, k := range []string{"package", "services"} {
			keys[k] = func(kf string, kn *yaml.Node) {
				p.fail(p.cfg.lines[kf], kf, "belongs to the top of the file, not to one of services")
			}
		}
		p.mapping(item, f, keys)
		out = append(out, c)
	}
	p.cfg.Services = out
}

// overrideNames maps the snake_case keys of hardening_overrides to their
// directives.
var overrideNames = func() map[string]string {
	m := map[string]string{}
	for _, d := range hardeningDirectives {
		m[snakeCase(d)] = d
	}
	return m
}()

// ownKeys are directives with a key of their own.
var ownKeys = map[string]string{
	"capability_bounding_set": "capability_bounding_set", "ambient_capabilities": "ambient_capabilities",
	"u_mask": "umask", "umask": "umask", "read_write_paths": "read_write_paths", "read_only_paths": "read_only_paths",
	"inaccessible_paths": "inaccessible_paths", "state_directory": "state_directory", "logs_directory": "logs_directory",
	"runtime_directory": "runtime_directory", "cache_directory": "cache_directory",
	"configuration_directory": "configuration_directory",
}

// overrideDirective returns the directive a hardening_overrides key
// names, or why it names none.
func overrideDirective(key string) (string, string) {
	if d, ok := overrideNames[key]; ok {
		return d, ""
	}
	if own, ok := ownKeys[key]; ok {
		return "", "use the key " + own + " instead"
	}
	best, bestDist := "", 3
	for k := range overrideNames {
		if d := editDistance(key, k); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return "", fmt.Sprintf("unknown sandboxing directive (did you mean %q?)", best)
	}
	return "", "unknown sandboxing directive; known: " + strings.Join(OverrideKeys(), ", ")
}

// OverrideKeys returns the keys hardening_overrides accepts, in the order
// of HardeningDirectives: each directive in snake_case
// (RestrictSUIDSGID → restrict_suid_sgid, IPAddressDeny → ip_address_deny).
func OverrideKeys() []string {
	out := make([]string, len(hardeningDirectives))
	for i, d := range hardeningDirectives {
		out[i] = snakeCase(d)
	}
	return out
}

// snakeCase writes a directive name in snake_case; a run of capitals is
// one word ("SUIDSGID" is split where systemd's name has two words).
func snakeCase(d string) string {
	switch d {
	case "RestrictSUIDSGID":
		return "restrict_suid_sgid"
	case "PrivateIPC":
		return "private_ipc"
	case "RemoveIPC":
		return "remove_ipc"
	}
	var b strings.Builder
	for i, r := range d {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevUpper := d[i-1] >= 'A' && d[i-1] <= 'Z'
			nextLower := i+1 < len(d) && d[i+1] >= 'a' && d[i+1] <= 'z'
			if !prevUpper || nextLower {
				b.WriteByte('_')
			}
		}
		b.WriteString(strings.ToLower(string(r)))
	}
	return b.String()
}
