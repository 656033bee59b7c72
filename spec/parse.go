package spec

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is daemon.yaml as written, before defaults: an empty string, a nil
// slice or a nil pointer means the key was not given. An empty but non-nil
// slice means the key was given as an empty list. Build turns a Config into
// a Spec.
type Config struct {
	Name             string
	Description      string
	Exec             string
	Args             []string
	Type             string
	PIDFile          string
	User             string
	Group            string
	Environment      []EnvVar
	EnvironmentFile  string
	WorkingDirectory string
	Restart          string
	RestartDelay     *time.Duration
	StopTimeout      *time.Duration
	WatchdogTimeout  *time.Duration
	ReloadSignal     string
	After            []string
	Wants            []string
	Requires         []string
	Listen           []string
	Limits           []Limit
	Hardening        string
	Package          PackageConfig

	// Spec v2 (issue 8); see the Spec fields of the same names.
	ArgsFromEnv           []EnvVar
	Directories           map[DirectoryKind][]string // nil: no key of that kind
	DirectoryModes        map[DirectoryKind]uint32   // only the modes given
	ReadWritePaths        []string
	ReadOnlyPaths         []string
	InaccessiblePaths     []string
	CapabilityBoundingSet []string
	AmbientCapabilities   []string
	UMask                 string
	HardeningOverrides    []Override
	Reload                string
	ExecReload            []string
	ExecStartPre          [][]string
	StopTimeoutInfinite   bool // stop_timeout: infinity
	SendSIGKILL           *bool
	KillMode              string
	StartLimitInterval    *time.Duration
	StartLimitBurst       *int
	Documentation         []string
	Aliases               []string
	LogRotate             *LogRotateConfig
	// Services (services) are the further services of the package, each
	// as written; their Package and Services are never set.
	Services []*Config
	// field is where the service stands in the file: "" for the top
	// document, "services[N]." for a further service.
	field string

	// Source is the file the config was read from; empty for flags.
	Source string
	// lines maps a field path ("exec", "args[1]", "package.files[0].src")
	// to the line its value stands on; "" to the line of the top mapping.
	lines map[string]int
}

// PackageConfig is the package mapping as written; see Package.
type PackageConfig struct {
	Version    string
	Release    string
	Arch       string
	Maintainer string
	License    string
	Homepage   string
	Depends    []string
	Files      []FileConfig
	Conffiles  []string
	Enable     *bool
	Start      *bool
	// Directories (package.directories) and Purge (package.purge), as written.
	Directories []PackageDirConfig
	Purge       []string
}

// FileConfig is one package.files entry as written; Mode is nil when not given.
type FileConfig struct {
	Src   string
	Dst   string
	Mode  *uint32
	Owner string
	Group string
}

// PackageDirConfig is one package.directories entry as written; Mode is
// nil when not given.
type PackageDirConfig struct {
	Path  string
	Owner string
	Group string
	Mode  *uint32
}

// LogRotateConfig is the logrotate mapping as written; see LogRotate.
type LogRotateConfig struct {
	Files     []string
	Method    string
	Frequency string
	Rotate    *int
	Compress  *bool
	Mode      *uint32
}

// MaxSpecSize is the largest spec file Parse accepts.
const MaxSpecSize = 1 << 20

// Load reads, parses and builds the spec at path. Errors are Errors (a bad
// file) or a wrapped fs error (an unreadable one).
func Load(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Reason: "cannot read the spec: " + pathErrReason(err), Err: err}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSpecSize+1))
	if err != nil {
		return nil, Errors{{File: path, Reason: "cannot read the spec: " + pathErrReason(err), Err: err}}
	}
	cfg, parseErrs := parse(path, data)
	if cfg == nil {
		return nil, parseErrs
	}
	s, err := cfg.Build()
	if len(parseErrs) == 0 {
		return s, err
	}
	// Report what Build finds too, except for fields that failed to decode.
	all := slices.Clone(parseErrs)
	var buildErrs Errors
	if errors.As(err, &buildErrs) {
		for _, e := range buildErrs {
			if !slices.ContainsFunc(parseErrs, func(p *Error) bool { return sameOrParent(p.Field, e.Field) }) {
				all = append(all, e)
			}
		}
	}
	sortByLine(all)
	return nil, all
}

// sortByLine orders errors by line, unlocated ones last, keeping the order
// of errors on the same line.
func sortByLine(errs Errors) {
	slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(lineOrder(a), lineOrder(b)) })
}

// pathErrReason is err without the path that Error already names.
func pathErrReason(err error) string {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

// sameOrParent reports whether field is parent or lies below it.
func sameOrParent(parent, field string) bool {
	return field == parent || strings.HasPrefix(field, parent+".") || strings.HasPrefix(field, parent+"[")
}

// lineOrder sorts located errors by line and unlocated ones last.
func lineOrder(e *Error) int {
	if e.Line == 0 {
		return math.MaxInt
	}
	return e.Line
}

// Parse decodes one YAML document strictly: unknown keys, duplicate keys and
// values of the wrong kind are errors. It returns every problem as Errors;
// file is used only in error messages and as Config.Source.
func Parse(file string, data []byte) (*Config, error) {
	cfg, errs := parse(file, data)
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

// parse decodes what it can: the Config is nil only when the file is not a
// single YAML mapping; otherwise it holds every value that decoded.
func parse(file string, data []byte) (*Config, Errors) {
	p := &parser{cfg: &Config{Source: file, lines: map[string]int{}}}
	if len(data) > MaxSpecSize {
		p.fail(0, "", fmt.Sprintf("file is larger than %d bytes", MaxSpecSize))
		return nil, p.errs
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.fail(0, "", "file is empty")
		} else {
			p.fail(yamlErrorLine(err), "", yamlErrorReason(err))
		}
		return nil, p.errs
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p.fail(extra.Line, "", "only one YAML document is allowed")
		return nil, p.errs
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.mapping(root, "", nil)
		return nil, p.errs
	}
	p.cfg.lines[""] = root.Line // where a missing top-level key belongs
	p.mapping(root, "", topLevelKeys(p))
	return p.cfg, p.errs
}

// parser walks the YAML tree and collects errors.
type parser struct {
	cfg  *Config
	errs Errors
}

type keyHandler func(field string, value *yaml.Node)

func (p *parser) fail(line int, field, reason string) {
	p.errs = append(p.errs, &Error{File: p.cfg.Source, Line: line, Field: field, Reason: reason})
}

func (p *parser) at(field string, n *yaml.Node) {
	p.cfg.lines[field] = n.Line
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// mapping decodes a mapping node through handlers keyed by YAML key.
func (p *parser) mapping(n *yaml.Node, prefix string, handlers map[string]keyHandler) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		field := prefix
		p.fail(n.Line, field, "must be a mapping, not "+kindName(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		field := join(prefix, key)
		if k.Kind != yaml.ScalarNode {
			p.fail(k.Line, prefix, "keys must be plain strings")
			continue
		}
		if first, dup := seen[key]; dup {
			p.fail(k.Line, field, fmt.Sprintf("duplicate key (first on line %d)", first))
			continue
		}
		seen[key] = k.Line
		h, ok := handlers[key]
		if !ok {
			p.fail(k.Line, field, "unknown key"+suggest(key, handlers))
			continue
		}
		p.cfg.lines[field] = k.Line
		h(field, resolveAlias(v))
	}
}

func topLevelKeys(p *parser) map[string]keyHandler {
	keys := serviceKeys(p, p.cfg)
	keys["package"] = func(field string, n *yaml.Node) {
		p.at(field, n)
		p.mapping(n, field, packageKeys(p))
	}
	keys["services"] = p.services
	return keys
}

// serviceKeys are the keys of one service: the document's top mapping
// (with package and services added) or an item of services.
func serviceKeys(p *parser, c *Config) map[string]keyHandler {
	keys := map[string]keyHandler{
		"name":              p.str(&c.Name),
		"description":       p.str(&c.Description),
		"exec":              p.str(&c.Exec),
		"args":              p.strList(&c.Args),
		"type":              p.str(&c.Type),
		"pidfile":           p.str(&c.PIDFile),
		"user":              p.str(&c.User),
		"group":             p.str(&c.Group),
		"environment":       p.env(&c.Environment),
		"environment_file":  p.str(&c.EnvironmentFile),
		"working_directory": p.str(&c.WorkingDirectory),
		"restart":           p.str(&c.Restart),
		"restart_sec":       p.duration(&c.RestartDelay),
		"stop_timeout":      p.stopTimeout(c),
		"watchdog_sec":      p.duration(&c.WatchdogTimeout),
		"reload_signal":     p.str(&c.ReloadSignal),
		"after":             p.strList(&c.After),
		"wants":             p.strList(&c.Wants),
		"requires":          p.strList(&c.Requires),
		"listen":            p.strList(&c.Listen),
		"limits":            p.limits(&c.Limits),
		"hardening":         p.str(&c.Hardening),

		"args_from_env":            p.argsFromEnv(&c.ArgsFromEnv),
		"read_write_paths":         p.strList(&c.ReadWritePaths),
		"read_only_paths":          p.strList(&c.ReadOnlyPaths),
		"inaccessible_paths":       p.strList(&c.InaccessiblePaths),
		"capability_bounding_set":  p.strList(&c.CapabilityBoundingSet),
		"ambient_capabilities":     p.strList(&c.AmbientCapabilities),
		"umask":                    p.str(&c.UMask),
		"hardening_overrides":      p.overrides(&c.HardeningOverrides),
		"reload":                   p.str(&c.Reload),
		"exec_reload":              p.strList(&c.ExecReload),
		"exec_start_pre":           p.commands(&c.ExecStartPre),
		"send_sigkill":             p.boolean(&c.SendSIGKILL),
		"kill_mode":                p.str(&c.KillMode),
		"start_limit_interval_sec": p.duration(&c.StartLimitInterval),
		"start_limit_burst":        p.integer(&c.StartLimitBurst),
		"documentation":            p.strList(&c.Documentation),
		"alias":                    p.strList(&c.Aliases),
		"logrotate":                p.logrotate(&c.LogRotate),
	}
	for _, k := range DirectoryKinds() {
		keys[string(k)+"_directory"] = p.directories(c, k)
		keys[string(k)+"_directory_mode"] = p.directoryMode(c, k)
	}
	return keys
}

func packageKeys(p *parser) map[string]keyHandler {
	pc := &p.cfg.Package
	return map[string]keyHandler{
		"directories": p.packageDirs(&pc.Directories),
		"purge":       p.strList(&pc.Purge),
		"version":     p.str(&pc.Version),
		"release":     p.str(&pc.Release),
		"arch":        p.str(&pc.Arch),
		"maintainer":  p.str(&pc.Maintainer),
		"license":     p.str(&pc.License),
		"homepage":    p.str(&pc.Homepage),
		"depends":     p.strList(&pc.Depends),
		"files":       p.files(&pc.Files),
		"conffiles":   p.strList(&pc.Conffiles),
		"enable":      p.boolean(&pc.Enable),
		"start":       p.boolean(&pc.Start),
	}
}

// scalar returns the literal text of a scalar node, reporting anything else.
// The literal text is kept as written ("1.10" stays "1.10").
func (p *parser) scalar(field string, n *yaml.Node) (string, bool) {
	p.at(field, n)
	if n.Kind != yaml.ScalarNode {
		p.fail(n.Line, field, "must be a string, not "+kindName(n))
		return "", false
	}
	if n.Tag == "!!null" {
		p.fail(n.Line, field, "must not be empty")
		return "", false
	}
	if n.Tag == "!!binary" {
		p.fail(n.Line, field, "binary values are not supported")
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(dst *string) keyHandler {
	return func(field string, n *yaml.Node) {
		if v, ok := p.scalar(field, n); ok {
			*dst = v
		}
	}
}

func (p *parser) strList(dst *[]string) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			*dst = []string{}
			return
		}
		if n.Kind != yaml.SequenceNode {
			p.fail(n.Line, field, "must be a list, not "+kindName(n))
			return
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			if v, ok := p.scalar(fmt.Sprintf("%s[%d]", field, i), resolveAlias(item)); ok {
				out = append(out, v)
			}
		}
		*dst = out
	}
}

func (p *parser) boolean(dst **bool) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			p.fail(n.Line, field, "must be true or false")
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			p.fail(n.Line, field, "must be true or false")
			return
		}
		*dst = &b
	}
}

func (p *parser) duration(dst **time.Duration) keyHandler {
	return func(field string, n *yaml.Node) {
		v, ok := p.scalar(field, n)
		if !ok {
			return
		}
		d, err := parseDuration(v)
		if err != nil {
			p.fail(n.Line, field, err.Error())
			return
		}
		*dst = &d
	}
}

// durationRE is the syntax of a Go duration without a sign.
var durationRE = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`)

// parseDuration accepts a Go duration ("1.5s", "2m") or a bare 0.
func parseDuration(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if durationRE.MatchString(v) { // well formed, so too long for a time.Duration
			return 0, fmt.Errorf("must be at most %s", maxDurationText)
		}
		return 0, fmt.Errorf("%q is not a Go duration (like 1s, 500ms, 2m)", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	return d, nil
}

func (p *parser) env(dst *[]EnvVar) keyHandler {
	return func(field string, n *yaml.Node) {
		pairs, ok := p.scalarMap(field, n, "a mapping of NAME: value", "duplicate variable")
		if !ok {
			return
		}
		out := make([]EnvVar, 0, len(pairs))
		for _, kv := range pairs {
			out = append(out, EnvVar{Name: kv[0], Value: kv[1]})
		}
		*dst = out
	}
}

func (p *parser) limits(dst *[]Limit) keyHandler {
	return func(field string, n *yaml.Node) {
		pairs, ok := p.scalarMap(field, n, "a mapping like {nofile: 65536}", "duplicate limit")
		if !ok {
			return
		}
		out := make([]Limit, 0, len(pairs))
		for _, kv := range pairs {
			out = append(out, Limit{Name: kv[0], Value: kv[1]})
		}
		*dst = out
	}
}

// scalarMap decodes a mapping of names to scalars, in file order. ok is
// false when n is not a mapping; duplicates and non-scalar values are
// reported and left out.
func (p *parser) scalarMap(field string, n *yaml.Node, want, duplicate string) (pairs [][2]string, ok bool) {
	p.at(field, n)
	if n.Kind != yaml.MappingNode {
		p.fail(n.Line, field, "must be "+want+", not "+kindName(n))
		return nil, false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		f := field + "." + k.Value
		if seen[k.Value] {
			p.fail(k.Line, f, duplicate)
			continue
		}
		seen[k.Value] = true
		if val, ok := p.scalar(f, v); ok {
			pairs = append(pairs, [2]string{k.Value, val})
		}
	}
	return pairs, true
}

// files decodes package.files.
func (p *parser) files(dst *[]FileConfig) keyHandler {
	return mappingList(p, dst, "{src, dst, mode}", func(fc *FileConfig) map[string]keyHandler {
		return map[string]keyHandler{
			"src":   p.str(&fc.Src),
			"dst":   p.str(&fc.Dst),
			"mode":  p.mode(&fc.Mode),
			"owner": p.str(&fc.Owner),
			"group": p.str(&fc.Group),
		}
	})
}

// mappingList decodes a list of mappings, each item through the handlers
// keys returns for it; want describes an item in the error for a
// non-list.
func mappingList[T any](p *parser, dst *[]T, want string, keys func(*T) map[string]keyHandler) keyHandler {
	return func(field string, n *yaml.Node) {
		p.at(field, n)
		if n.Kind != yaml.SequenceNode {
			p.fail(n.Line, field, "must be a list of "+want+", not "+kindName(n))
			return
		}
		out := make([]T, 0, len(n.Content))
		for i, item := range n.Content {
			var v T
			f := fmt.Sprintf("%s[%d]", field, i)
			p.at(f, item)
			p.mapping(item, f, keys(&v))
			out = append(out, v)
		}
		*dst = out
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	default:
		return "an unsupported node"
	}
}

// suggest names the closest known key, for typos.
func suggest(key string, handlers map[string]keyHandler) string {
	best, bestDist := "", 3
	for k := range handlers {
		if d := editDistance(key, k); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// yamlErrorLine extracts the line from a yaml syntax error ("yaml: line 3: ...").
func yamlErrorLine(err error) int {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if end > 0 {
			if n, convErr := strconv.Atoi(rest[:end]); convErr == nil {
				return n
			}
		}
	}
	return 0
}

func yamlErrorReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
		msg = msg[i+2:]
	}
	return "invalid YAML: " + msg
}
