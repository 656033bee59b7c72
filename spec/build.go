package spec

import (
	"fmt"
	"io/fs"
	"math"
	"net"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Default values applied by Build.
const (
	DefaultRestartDelay = time.Second
	DefaultStopTimeout  = 10 * time.Second
	DefaultMaintainer   = "daemonctl <root@localhost>"
	DefaultRelease      = "1"
)

// MaxDuration is the longest restart_sec, stop_timeout and watchdog_sec a
// spec accepts: one year. systemd would take far more (its time spans are
// 64-bit microseconds), but the LSB init script counts stop_timeout in
// tenths of a second in shell arithmetic, which is 32 bits wide in some
// shells (mksh, busybox built without 64-bit math), start-stop-daemon reads
// its --retry timeout as a C int, and the unit's StartLimitIntervalSec= is
// ten times restart_sec: one year keeps every one of these far from
// overflowing (3.2e8 tenths of a second < 2^31). Nothing a service needs
// waits longer.
const MaxDuration = 365 * 24 * time.Hour

// maxDurationText is MaxDuration as error messages write it.
const maxDurationText = "8760h (one year)"

// defaultDependencies is what after and wants default to.
var defaultDependencies = []string{"network-online.target"}

// DefaultDependencies returns the default value of after and wants.
func DefaultDependencies() []string { return slices.Clone(defaultDependencies) }

// limitNames maps every limit name a spec may use to its systemd directive.
var limitNames = map[string]string{
	"as":         "LimitAS",
	"core":       "LimitCORE",
	"cpu":        "LimitCPU",
	"data":       "LimitDATA",
	"fsize":      "LimitFSIZE",
	"locks":      "LimitLOCKS",
	"memlock":    "LimitMEMLOCK",
	"msgqueue":   "LimitMSGQUEUE",
	"nice":       "LimitNICE",
	"nofile":     "LimitNOFILE",
	"nproc":      "LimitNPROC",
	"rss":        "LimitRSS",
	"rtprio":     "LimitRTPRIO",
	"rttime":     "LimitRTTIME",
	"sigpending": "LimitSIGPENDING",
	"stack":      "LimitSTACK",
}

// ulimitFlags maps limit names to the ulimit option of bash and busybox sh.
// dash agrees for all but nproc, which it calls -p (bash's -p is the pipe
// size): scripts must fall back to -p for nproc.
var ulimitFlags = map[string]string{
	"core":   "-c",
	"data":   "-d",
	"fsize":  "-f",
	"nofile": "-n",
	"stack":  "-s",
	"cpu":    "-t",
	"as":     "-v",
	"nproc":  "-u",
}

// limitRange is what the kernel, systemd and the init script's shell all
// accept for one limit: numbers from 0 to max, and "infinity" unless noInf
// says why not. why explains max in error messages.
type limitRange struct {
	max   uint64
	noInf string // why infinity is refused; empty when it is allowed
	why   string
}

// limitRanges holds the limits narrower than defaultLimitRange.
var limitRanges = map[string]limitRange{
	// The kernel refuses a hard RLIMIT_NOFILE above fs.nr_open, whose
	// largest value is 2^31-64 on 64-bit kernels (the host's own setting,
	// 1048576 by default, applies when the service starts).
	"nofile": {max: 2147483584, noInf: "the kernel caps open files at fs.nr_open; give a number such as 1048576",
		why: "the largest fs.nr_open of any kernel"},
	// RLIMIT_NICE is 20 minus the lowest nice value allowed; systemd reads
	// 0 to 40 and no infinity.
	"nice": {max: 40, noInf: "systemd reads 0 to 40 (20 minus the lowest nice value allowed)",
		why: "20 minus the lowest nice value allowed"},
	"rtprio": {max: 99, why: "the highest real-time priority"},
	// systemd turns seconds into 64-bit microseconds.
	"cpu": {max: math.MaxInt64 / 1_000_000, why: "seconds; systemd counts microseconds in 64 bits"},
}

// defaultLimitRange: the init script compares limits as the shell's signed
// 64-bit numbers, and 2^64-1 is RLIM_INFINITY itself.
var defaultLimitRange = limitRange{max: math.MaxInt64, why: "the init script's shell compares signed 64-bit numbers"}

// checkLimit returns what is wrong with a limit value that matches
// limitValRE, or "".
func checkLimit(name, value string) string {
	r, ok := limitRanges[name]
	if !ok {
		r = defaultLimitRange
	}
	soft, hard, _ := strings.Cut(value, ":")
	for _, part := range []string{soft, hard} {
		if part == "" {
			continue
		}
		if part == "infinity" {
			if r.noInf != "" {
				return "cannot be infinity: " + r.noInf
			}
			continue
		}
		if n, err := strconv.ParseUint(part, 10, 64); err != nil || n > r.max {
			if r.max < 100 {
				return fmt.Sprintf("%s must be from 0 to %d (%s)", part, r.max, r.why)
			}
			return fmt.Sprintf("%s must be at most %d (%s)", part, r.max, r.why)
		}
	}
	return ""
}

// Directive returns the systemd directive for the limit, e.g. "LimitNOFILE".
func (l Limit) Directive() string { return limitNames[l.Name] }

// UlimitFlag returns the ulimit option for the limit ("-n" for nofile), or ""
// when portable shells have none.
func (l Limit) UlimitFlag() string { return ulimitFlags[l.Name] }

// Soft returns the soft limit ("infinity" maps to "unlimited" for ulimit callers to adapt).
func (l Limit) Soft() string {
	soft, _, _ := strings.Cut(l.Value, ":")
	return soft
}

// Hard returns the hard limit, equal to Soft when only one value was given.
func (l Limit) Hard() string {
	soft, hard, ok := strings.Cut(l.Value, ":")
	if !ok {
		return soft
	}
	return hard
}

// LimitNames returns every limit name a spec may use, sorted.
func LimitNames() []string {
	names := make([]string, 0, len(limitNames))
	for n := range limitNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// signals lists the signals reload_signal may name.
var signals = []string{"HUP", "USR1", "USR2", "INT", "QUIT", "TERM", "WINCH", "ALRM", "CONT"}

// Signals returns the names reload_signal accepts, without the SIG prefix.
func Signals() []string { return slices.Clone(signals) }

// BindStream returns the address as systemd's ListenStream= expects it:
// "PORT", "HOST:PORT", "[V6]:PORT" or "/path".
func (l Listen) BindStream() string {
	switch {
	case l.Network == NetworkUnix:
		return l.Path
	case l.Host == "":
		return strconv.Itoa(l.Port)
	default:
		return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
	}
}

// String returns the address as written in a spec ("tcp:HOST:PORT", "unix:/path").
func (l Listen) String() string {
	if l.Network == NetworkUnix {
		return "unix:" + l.Path
	}
	return "tcp:" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// Build applies defaults and validates, returning the Spec or Errors listing
// every problem, each located by the line it stands on when the Config came
// from Parse. The Config is not modified. The Spec keeps those positions
// (see Spec.Line), and Spec.Validate accepts it.
func (c *Config) Build() (*Spec, error) {
	s := c.withDefaults()
	var errs Errors
	for i, sc := range append([]*Config{c}, c.Services...) {
		svc := s
		if i > 0 {
			svc = s.Extra[i-1]
		}
		v := validator{spec: svc, listen: sc.Listen, prefix: svc.field, given: given{
			pidfile: sc.PIDFile != "", group: sc.Group != "", environmentFile: sc.EnvironmentFile != "",
			reloadSignal: sc.ReloadSignal != "", execReload: sc.ExecReload != nil,
			startLimitIntervalZero: sc.StartLimitInterval != nil && *sc.StartLimitInterval == 0,
			startLimitBurstZero:    sc.StartLimitBurst != nil && *sc.StartLimitBurst == 0,
		}}
		for _, k := range DirectoryKinds() {
			if _, ok := sc.DirectoryModes[k]; ok && len(sc.Directories[k]) == 0 {
				v.given.modeWithoutDirectory = append(v.given.modeWithoutDirectory, k)
			}
		}
		v.check()
		if i == 0 {
			v.services()
		} else if len(sc.Services) > 0 || !reflect.ValueOf(sc.Package).IsZero() {
			v.fail("package", "a further service has no package (or services) of its own")
		}
		errs = append(errs, v.errs...)
	}
	if len(errs) > 0 {
		sortByLine(errs)
		return nil, errs
	}
	return s, nil
}

// Validate checks s against every rule Build applies and returns Errors
// listing each problem (located by s's positions when s came from a
// file), or nil. A Spec from Build always passes; a Spec built or changed
// by hand is held to the same rules, with every field taken as given: no
// default is applied, so an empty Description, Type or Restart, or a
// Group left empty beside a User, is an error here.
//
// The further services (Extra) are held to the same rules, each named as
// the file would name it ("services[N].exec"), and must have a zero
// Package and no Extra of their own.
func (s *Spec) Validate() error {
	var errs Errors
	for i, svc := range s.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("services[%d].", i-1)
		}
		v := validator{spec: svc, prefix: prefix, lines: s.lines, byHand: true, given: given{
			pidfile: true, group: true, environmentFile: true, reloadSignal: true, execReload: true,
		}}
		v.check()
		if i == 0 {
			v.services()
		}
		errs = append(errs, v.errs...)
	}
	if len(errs) > 0 {
		sortByLine(errs)
		return errs
	}
	return nil
}

// withDefaults is the one place where defaults are decided, for the
// service c and each of its further services.
func (c *Config) withDefaults() *Spec {
	s := c.serviceDefaults()
	for i, sc := range c.Services {
		e := sc.serviceDefaults()
		e.lines, e.field = c.lines, fmt.Sprintf("services[%d].", i)
		s.Extra = append(s.Extra, e)
	}
	s.Package = c.packageDefaults(s)
	for _, svc := range s.All() {
		svc.Documentation = documentationDefault(s.Package.Homepage)
	}
	for i, sc := range append([]*Config{c}, c.Services...) {
		if sc.Documentation != nil {
			s.All()[i].Documentation = slices.Clone(sc.Documentation)
		}
	}
	return s
}

// ownerGroup is the default group of a package file or directory owned
// by owner: the group of the service whose user owner is, else owner's
// own name ("" for root).
func ownerGroup(s *Spec, owner string) string {
	for _, svc := range s.All() {
		if svc.User != "" && svc.User == owner {
			return svc.Group
		}
	}
	return owner
}

// serviceDefaults is the Spec of one service with its defaults, without
// its package (which only the top of the file has).
func (c *Config) serviceDefaults() *Spec {
	base := strings.TrimSuffix(c.Name, "@")
	defaultPIDFile, defaultDescription := "/run/"+base+"/"+base+".pid", c.Name
	if base != c.Name { // a template: one runtime directory per instance
		defaultPIDFile, defaultDescription = "/run/"+base+"-%i/"+base+".pid", c.Name+"%i"
	}
	s := &Spec{
		Name:             c.Name,
		Description:      or(c.Description, defaultDescription),
		Exec:             c.Exec,
		Args:             orSlice(c.Args, []string{}),
		Type:             ServiceType(or(c.Type, string(TypeSimple))),
		PIDFile:          or(c.PIDFile, defaultPIDFile),
		User:             c.User,
		Group:            c.Group,
		Environment:      orSlice(c.Environment, []EnvVar{}),
		EnvironmentFile:  or(c.EnvironmentFile, "/etc/default/"+base),
		WorkingDirectory: or(c.WorkingDirectory, "/"),
		Restart:          RestartPolicy(or(c.Restart, string(RestartOnFailure))),
		RestartDelay:     orDuration(c.RestartDelay, DefaultRestartDelay),
		StopTimeout:      orDuration(c.StopTimeout, DefaultStopTimeout),
		WatchdogTimeout:  orDuration(c.WatchdogTimeout, 0),
		ReloadSignal:     strings.TrimPrefix(strings.ToUpper(or(c.ReloadSignal, "HUP")), "SIG"),
		After:            orSlice(c.After, DefaultDependencies()),
		Wants:            orSlice(c.Wants, DefaultDependencies()),
		Requires:         orSlice(c.Requires, []string{}),
		Limits:           orSlice(c.Limits, []Limit{}),
		Hardening:        Hardening(or(c.Hardening, string(HardeningDefault))),
		Source:           c.Source,
		Reload:           ReloadSignal,
		SendSIGKILL:      true,
	}
	slices.SortFunc(s.Limits, func(a, b Limit) int { return strings.Compare(a.Name, b.Name) })
	if s.Group == "" && s.User != "" {
		s.Group = s.User
	}
	s.lines = c.lines
	c.v2Defaults(s)
	return s
}

// packageDefaults is the package of the file with its defaults; s is the
// top service.
func (c *Config) packageDefaults(s *Spec) Package {
	pc := c.Package
	p := Package{
		Version:    pc.Version,
		Release:    or(pc.Release, DefaultRelease),
		Arch:       or(pc.Arch, debianArch(runtime.GOARCH)),
		Maintainer: or(pc.Maintainer, DefaultMaintainer),
		License:    pc.License,
		Homepage:   pc.Homepage,
		Depends:    orSlice(pc.Depends, []string{}),
		Files:      []File{},
		Conffiles:  orSlice(pc.Conffiles, []string{}),
		Enable:     pc.Enable == nil || *pc.Enable,
		Start:      pc.Start == nil || *pc.Start,
		Purge:      []PurgeItem{},
	}
	srcDir := "."
	if c.Source != "" {
		srcDir = filepath.Dir(c.Source)
	}
	for _, f := range pc.Files {
		file := File{Src: f.Src, Dst: f.Dst, Mode: 0o644, Owner: f.Owner, Group: or(f.Group, ownerGroup(s, f.Owner))}
		if f.Src != "" && !filepath.IsAbs(f.Src) {
			if abs, err := filepath.Abs(filepath.Join(srcDir, f.Src)); err == nil {
				file.Src = abs
			}
		}
		if slices.ContainsFunc(append([]*Config{c}, c.Services...), func(sc *Config) bool { return sc.Exec == f.Dst }) {
			file.Mode = 0o755
		}
		if f.Mode != nil {
			file.Mode = fs.FileMode(*f.Mode)
		}
		p.Files = append(p.Files, file)
	}
	p.Directories = []PackageDir{}
	for _, d := range pc.Directories {
		dir := PackageDir{Path: d.Path, Owner: d.Owner, Group: or(d.Group, ownerGroup(s, d.Owner)), Mode: DefaultPackageDirMode}
		if d.Mode != nil {
			dir.Mode = fs.FileMode(*d.Mode)
		}
		p.Directories = append(p.Directories, dir)
	}
	for _, item := range Purgeable() {
		if slices.Contains(pc.Purge, string(item)) {
			p.Purge = append(p.Purge, item)
		}
	}
	for _, item := range pc.Purge { // unknown items stay for the validator to name
		if !slices.Contains(Purgeable(), PurgeItem(item)) {
			p.Purge = append(p.Purge, PurgeItem(item))
		}
	}
	return p
}

// debianArch maps a Go architecture name to Debian's.
func debianArch(goarch string) string {
	switch goarch {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	default:
		return goarch
	}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orSlice[T any](v, def []T) []T {
	if v == nil {
		return def
	}
	return slices.Clone(v)
}

func orDuration(v *time.Duration, def time.Duration) time.Duration {
	if v == nil {
		return def
	}
	return *v
}

// validator collects problems, locating each through the spec's positions.
type validator struct {
	spec   *Spec
	prefix string         // "" or "services[N].": prefixed to every field named
	lines  map[string]int // Validate: the top spec's positions; nil means spec.lines
	given  given          // which defaults-bearing fields the user wrote
	byHand bool           // the Spec did not come from withDefaults: require what defaults fill
	listen []string       // Build: the addresses as written, parsed into spec.Listen
	errs   Errors
}

// given says which fields whose default derives from another field the
// user wrote; a default derived from a bad value would only repeat that
// value's error.
type given struct {
	pidfile, group, environmentFile bool
	reloadSignal, execReload        bool // a conflict with reload names what the user wrote
	// Build only: values the Spec cannot show.
	startLimitIntervalZero, startLimitBurstZero bool            // written as 0
	modeWithoutDirectory                        []DirectoryKind // <kind>_directory_mode without <kind>_directory
}

func (v *validator) fail(field, format string, args ...any) {
	v.failAt(lineIn(v.positions(), v.prefix+field), field, format, args...)
}

// positions are the lines of the file the spec came from.
func (v *validator) positions() map[string]int {
	if v.lines != nil {
		return v.lines
	}
	return v.spec.lines
}

func (v *validator) failAt(line int, field, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.spec.Source, Line: line, Field: v.prefix + field, Reason: fmt.Sprintf(format, args...)})
}

// required reports a key that is missing, on the line of the mapping that
// lacks it.
func (v *validator) required(field string) {
	v.failAt(mappingLine(v.positions(), v.prefix+field), field, "is required")
}

// parentField strips the last path element: "a.b[2]" → "a.b" → "a".
func parentField(f string) string {
	if i := strings.LastIndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return ""
}

func (v *validator) check() {
	s := v.spec
	nameOK := ValidName(s.Name)
	// Defaults derived from a bad name would only repeat the name's error.
	derivedOK := func(explicit bool) bool { return explicit || nameOK }
	switch {
	case s.Name == "":
		v.required("name")
	case len(s.Name) > MaxNameLen:
		v.fail("name", "must be at most %d characters", MaxNameLen)
	case s.Name == "@":
		v.fail("name", "a template name needs a base before the @ (like redis-server@)")
	case strings.Contains(s.Name, "@") && (!nameRE.MatchString(s.BaseName()) || !s.IsTemplate()):
		v.fail("name", "%q must match [a-z0-9][a-z0-9._-]*, followed by @ for a template service (the instance is given when it starts)", s.Name)
	case !nameRE.MatchString(s.BaseName()):
		v.fail("name", "%q must match [a-z0-9][a-z0-9._-]*", s.Name)
	}
	if v.byHand && s.Description == "" {
		v.required("description")
	}
	v.text("description", s.Description, 200)
	if !cleanEnds(s.Description) {
		v.fail("description", "must not start or end with white space or end with a backslash")
	}
	if s.Exec == "" {
		v.required("exec")
	} else {
		v.absPath("exec", s.Exec)
	}
	for i, a := range s.Args {
		if strings.IndexByte(a, 0) >= 0 {
			v.fail(fmt.Sprintf("args[%d]", i), "must not contain a NUL byte")
		}
	}
	if !s.Type.Valid() {
		v.fail("type", "%q must be one of simple, exec, notify, forking", s.Type)
	}
	if derivedOK(v.given.pidfile) {
		v.pidfile(s)
	}
	v.account("user", s.User)
	if v.given.group { // a group defaulted from user repeats user's error
		v.account("group", s.Group)
	}
	if s.User != "" && s.Group == "" {
		v.fail("group", "must be set when user is (Build defaults it to the user)")
	}
	for _, e := range s.Environment {
		f := "environment." + e.Name
		if !ValidEnvName(e.Name) {
			v.fail(f, "variable names must match [A-Za-z_][A-Za-z0-9_]*")
		}
		if strings.IndexByte(e.Value, 0) >= 0 {
			v.fail(f, "must not contain a NUL byte")
		}
		if !utf8.ValidString(e.Value) {
			v.fail(f, "must be valid UTF-8")
		}
	}
	if derivedOK(v.given.environmentFile) {
		v.absPath("environment_file", s.EnvironmentFile)
	}
	v.absPath("working_directory", s.WorkingDirectory)
	if !s.Restart.Valid() {
		v.fail("restart", "%q must be one of no, on-failure, always", s.Restart)
	}
	v.duration("restart_sec", s.RestartDelay)
	v.duration("stop_timeout", s.StopTimeout)
	v.duration("watchdog_sec", s.WatchdogTimeout)
	if s.StopTimeout == 0 {
		v.fail("stop_timeout", "must be greater than 0")
	}
	if s.WatchdogTimeout > 0 && s.WatchdogTimeout < time.Second {
		v.fail("watchdog_sec", "must be 0 (off) or at least 1s")
	}
	if s.WatchdogTimeout > 0 && s.Type != TypeNotify {
		v.fail("watchdog_sec", "needs type: notify (the watchdog is fed over the notify socket)")
	}
	if !ValidSignal(s.ReloadSignal) {
		v.fail("reload_signal", "%q must be one of %s", s.ReloadSignal, strings.Join(signals, ", "))
	}
	for _, dep := range []struct {
		field string
		units []string
	}{{"after", s.After}, {"wants", s.Wants}, {"requires", s.Requires}} {
		for i, u := range dep.units {
			if !ValidUnitName(u) {
				v.fail(fmt.Sprintf("%s[%d]", dep.field, i), "%q is not a systemd unit name (like network-online.target)", u)
			}
		}
	}
	if v.byHand {
		v.checkListen()
	} else {
		s.Listen = v.parseListen(v.listen)
	}
	for _, l := range s.Limits {
		f := "limits." + l.Name
		if _, ok := limitNames[l.Name]; !ok {
			v.fail(f, "unknown limit; known: %s", strings.Join(LimitNames(), ", "))
			continue
		}
		if !limitValRE.MatchString(l.Value) {
			v.fail(f, "%q must be a number, infinity, or SOFT:HARD", l.Value)
			continue
		}
		if problem := checkLimit(l.Name, l.Value); problem != "" {
			v.fail(f, "%s", problem)
			continue
		}
		if !l.Ordered() {
			v.fail(f, "soft limit %s exceeds hard limit %s", l.Soft(), l.Hard())
		}
	}
	if !s.Hardening.Valid() {
		v.fail("hardening", "%q must be one of strict, default, off", s.Hardening)
	}
	v.checkV2()
	if v.prefix == "" {
		v.pkg(s.Name, &s.Package)
	}
}

// parseListen parses the configured addresses for Build.
func (v *validator) parseListen(raws []string) []Listen {
	out := []Listen{}
	seen := map[string]int{}
	for i, raw := range raws {
		f := fmt.Sprintf("listen[%d]", i)
		l, err := ParseListen(raw)
		if err != nil {
			v.fail(f, "%v", err)
			continue
		}
		if j, dup := seen[l.String()]; dup {
			v.fail(f, "duplicate of listen[%d]", j)
			continue
		}
		seen[l.String()] = i
		out = append(out, l)
	}
	return out
}

// checkListen holds the addresses of a Spec to what ParseListen returns
// for their own String form.
func (v *validator) checkListen() {
	seen := map[string]int{}
	for i, l := range v.spec.Listen {
		f := fmt.Sprintf("listen[%d]", i)
		parsed, err := ParseListen(l.String())
		switch {
		case err != nil:
			v.fail(f, "%v", err)
		case parsed != l:
			v.fail(f, "%q is not in the form ParseListen returns", l.String())
		default:
			if j, dup := seen[l.String()]; dup {
				v.fail(f, "duplicate of listen[%d]", j)
			}
			seen[l.String()] = i
		}
	}
}

// ParseListen parses "tcp:HOST:PORT", "tcp:[V6]:PORT", "tcp::PORT" or
// "unix:/abs/path".
func ParseListen(raw string) (Listen, error) {
	network, addr, ok := strings.Cut(raw, ":")
	switch {
	case !ok:
		return Listen{}, fmt.Errorf("%q must look like tcp:HOST:PORT or unix:/path", raw)
	case network == string(NetworkUnix):
		if !ValidPath(addr) {
			return Listen{}, fmt.Errorf("%q: the socket path must be absolute and clean, without spaces, control characters or shell/systemd special characters", raw)
		}
		if len(addr) > 107 {
			return Listen{}, fmt.Errorf("%q: the socket path must be at most 107 bytes", raw)
		}
		return Listen{Network: NetworkUnix, Path: addr}, nil
	case network == string(NetworkTCP):
		host, portText, err := net.SplitHostPort(addr)
		if err != nil {
			return Listen{}, fmt.Errorf("%q must look like tcp:HOST:PORT (IPv6 in brackets)", raw)
		}
		port, err := strconv.Atoi(portText)
		if err != nil || port < 1 || port > 65535 {
			return Listen{}, fmt.Errorf("%q: port must be a number from 1 to 65535", raw)
		}
		if host != "" && net.ParseIP(host) == nil {
			return Listen{}, fmt.Errorf("%q: host must be an IP address or empty (every address)", raw)
		}
		return Listen{Network: NetworkTCP, Host: host, Port: port}, nil
	default:
		return Listen{}, fmt.Errorf("%q: network must be tcp or unix", raw)
	}
}

func (v *validator) pkg(name string, p *Package) {
	if p.Version != "" && !versionRE.MatchString(p.Version) {
		v.fail("package.version", "%q must start with a digit and use only letters, digits and . + ~", p.Version)
	}
	if !releaseRE.MatchString(p.Release) {
		v.fail("package.release", "%q must use only letters, digits and . + ~", p.Release)
	}
	if !archRE.MatchString(p.Arch) {
		v.fail("package.arch", "%q is not an architecture name like amd64 or arm64", p.Arch)
	}
	v.text("package.maintainer", p.Maintainer, 200)
	if !strings.Contains(p.Maintainer, "<") || !strings.HasSuffix(p.Maintainer, ">") {
		v.fail("package.maintainer", "%q must look like Name <email>", p.Maintainer)
	}
	v.text("package.license", p.License, 100)
	v.text("package.homepage", p.Homepage, 300)
	if p.Homepage != "" && !strings.HasPrefix(p.Homepage, "http://") && !strings.HasPrefix(p.Homepage, "https://") {
		v.fail("package.homepage", "%q must be an http(s) URL", p.Homepage)
	}
	for i, d := range p.Depends {
		if !relationRE.MatchString(d) {
			v.fail(fmt.Sprintf("package.depends[%d]", i), "%q is not a package relation like \"libc6 (>= 2.36)\"", d)
		}
	}
	dsts := map[string]int{}
	for i, f := range p.Files {
		field := fmt.Sprintf("package.files[%d]", i)
		if f.Src == "" {
			v.required(field + ".src")
		}
		if f.Dst == "" {
			v.required(field + ".dst")
		} else {
			v.absPath(field+".dst", f.Dst)
		}
		if j, dup := dsts[f.Dst]; dup {
			v.fail(field+".dst", "duplicate of package.files[%d]", j)
		}
		dsts[f.Dst] = i
	}
	var names []string
	for _, svc := range v.spec.All() {
		names = append(names, svc.BaseName())
	}
	v.fileRules(names, p)
	v.pkgV2(names, p)
	for i, c := range p.Conffiles {
		v.absPath(fmt.Sprintf("package.conffiles[%d]", i), c)
	}
}

// CheckPackage reports what packaging needs beyond Build's checks: a
// version, and an environment file where a package may ship one.
func (s *Spec) CheckPackage() error {
	if s.Package.Version == "" {
		return Errors{s.FieldError("package.version", "is required to build a package")}
	}
	if errs := s.shippedPathErrors(); len(errs) > 0 {
		return errs
	}
	return nil
}

func (v *validator) absPath(field, p string) {
	if problem := pathProblem(p); problem != "" {
		v.fail(field, "%s", problem)
	}
}

// instancePath checks a path that may hold %i or %I in a template service
// (pidfile, directory names): the specifiers stand for an instance name,
// every other character is held to pathProblem's rules.
func (v *validator) instancePath(field, p string) {
	if problem := pathProblem(v.instance(p)); problem != "" {
		v.fail(field, "%s", strings.ReplaceAll(problem, strconv.Quote(v.instance(p)), strconv.Quote(p)))
	}
}

// instance replaces the instance specifiers of a template service's text
// by a sample instance name, so that the path rules apply to what systemd
// will use; outside a template it returns t unchanged.
func (v *validator) instance(t string) string {
	if !v.spec.IsTemplate() {
		return t
	}
	return strings.NewReplacer("%i", "i", "%I", "i").Replace(t) // as ValidInstancePath reads it
}

// pidfile checks where the pidfile is: inside a directory, and not in a
// directory other users can write or the system manages (see sharedDirs).
func (v *validator) pidfile(s *Spec) {
	v.instancePath("pidfile", s.PIDFile)
	p := v.instance(s.PIDFile)
	if !path.IsAbs(p) || path.Clean(p) != p {
		return
	}
	if path.Dir(p) == "/" {
		v.fail("pidfile", "must be a file inside a directory such as /run/%s/", s.BaseName())
		return
	}
	dir, why := sharedDir(p)
	switch {
	case dir == "":
	case !v.given.pidfile:
		v.fail("name", "%q puts the default pidfile in %s, which %s; choose another name or set pidfile", s.Name, dir, why)
	default:
		v.fail("pidfile", "%q is in %s, which %s; use a directory of the service's own such as /run/%s/", s.PIDFile, dir, why, s.BaseName())
	}
}

// duration checks that d lies within 0 and MaxDuration.
func (v *validator) duration(field string, d time.Duration) {
	switch {
	case d < 0:
		v.fail(field, "must not be negative")
	case d > MaxDuration:
		v.fail(field, "must be at most %s", maxDurationText)
	}
}

func (v *validator) text(field, t string, max int) {
	switch {
	case !Printable(t):
		v.fail(field, "must be one line of printable UTF-8 text")
	case len(t) > max:
		v.fail(field, "must be at most %d bytes", max)
	}
}

func (v *validator) account(field, name string) {
	if name == "" {
		return
	}
	if !ValidAccount(name) {
		v.fail(field, "%q must match [a-z_][a-z0-9_-]* and be at most 32 characters", name)
	}
}
