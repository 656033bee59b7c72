package spec

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The defaults and checks of the v2 keys (issue 8). withDefaults calls
// v2Defaults; check calls checkV2 and, for the top service, services.

// Defaults of the v2 keys.
const (
	DefaultDirectoryMode   fs.FileMode = 0o755
	DefaultPackageDirMode  fs.FileMode = 0o755
	DefaultLogRotateMode   fs.FileMode = 0o640
	DefaultLogRotateRotate             = 12
	DefaultLogRotateFreq               = "weekly"
	MaxStartLimitBurst                 = 100000
)

// Purgeable lists what package.purge may name, in the order Package.Purge
// keeps.
func Purgeable() []PurgeItem {
	return []PurgeItem{PurgeState, PurgeCache, PurgeLogs, PurgeConfig, PurgeAccount}
}

// Valid reports whether r is one of the reload kinds a spec may name.
func (r ReloadKind) Valid() bool {
	return slices.Contains([]ReloadKind{ReloadSignal, ReloadCommand, ReloadNone}, r)
}

// Valid reports whether k is one of the kill modes a spec may name.
func (k KillMode) Valid() bool {
	return slices.Contains([]KillMode{KillControlGroup, KillMixed, KillProcess}, k)
}

// Valid reports whether k is one of the directory kinds.
func (k DirectoryKind) Valid() bool { return slices.Contains(DirectoryKinds(), k) }

// Valid reports whether m is one of the rotation methods a spec may name.
func (m LogRotateMethod) Valid() bool {
	return m == RotateReload || m == RotateCopyTruncate
}

// documentationSchemes are the URI schemes systemd's Documentation= takes.
var documentationSchemes = []string{"http://", "https://", "file:", "info:", "man:"}

// ValidDocumentation reports whether u can be a Documentation= URI: one of
// the schemes systemd accepts (http, https, file, info, man), printable,
// at most 300 bytes, without white space, quotes or backslashes (which
// systemd's word splitting would change). A "%" is literal: generators
// escape it.
func ValidDocumentation(u string) bool {
	return len(u) <= 300 && Printable(u) &&
		slices.ContainsFunc(documentationSchemes, func(s string) bool { return strings.HasPrefix(u, s) }) &&
		!strings.ContainsFunc(u, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune(`"'\`, r) })
}

// documentationDefault is the default of documentation: the homepage when
// it is a valid URI, as the unit has always written it.
func documentationDefault(homepage string) []string {
	if ValidDocumentation(homepage) {
		return []string{homepage}
	}
	return []string{}
}

// v2Defaults fills the v2 fields of one service.
func (c *Config) v2Defaults(s *Spec) {
	s.ArgsFromEnv = orSlice(c.ArgsFromEnv, []EnvVar{})
	s.Directories = []Directory{}
	for _, k := range DirectoryKinds() {
		mode := DefaultDirectoryMode
		if m, ok := c.DirectoryModes[k]; ok {
			mode = fs.FileMode(m)
		}
		for _, n := range c.Directories[k] {
			s.Directories = append(s.Directories, Directory{Kind: k, Name: n, Mode: mode})
		}
	}
	s.ReadWritePaths = orSlice(c.ReadWritePaths, []string{})
	s.ReadOnlyPaths = orSlice(c.ReadOnlyPaths, []string{})
	s.InaccessiblePaths = orSlice(c.InaccessiblePaths, []string{})
	s.CapabilityBoundingSet = canonicalCapabilities(c.CapabilityBoundingSet)
	s.AmbientCapabilities = canonicalCapabilities(c.AmbientCapabilities)
	s.UMask = c.UMask
	if m, err := strconv.ParseUint(strings.TrimPrefix(c.UMask, "0o"), 8, 32); err == nil && m <= 0o777 && len(c.UMask) <= 5 {
		s.UMask = fmt.Sprintf("%04o", m)
	}
	s.HardeningOverrides = orSlice(c.HardeningOverrides, []Override{})
	s.Reload = ReloadKind(c.Reload)
	if s.Reload == "" {
		s.Reload = ReloadSignal
		if c.ExecReload != nil {
			s.Reload = ReloadCommand
		}
	}
	if c.ExecReload != nil {
		s.ExecReload = slices.Clone(c.ExecReload)
	}
	s.ExecStartPre = [][]string{}
	for _, argv := range c.ExecStartPre {
		s.ExecStartPre = append(s.ExecStartPre, orSlice(argv, []string{}))
	}
	if c.StopTimeoutInfinite {
		s.StopTimeoutInfinite, s.StopTimeout = true, MaxDuration
	}
	s.SendSIGKILL = c.SendSIGKILL == nil || *c.SendSIGKILL
	s.KillMode = KillMode(c.KillMode)
	s.StartLimitInterval = orDuration(c.StartLimitInterval, 0)
	if c.StartLimitBurst != nil {
		s.StartLimitBurst = *c.StartLimitBurst
	}
	s.Aliases = orSlice(c.Aliases, []string{})
	if lr := c.LogRotate; lr != nil {
		method := RotateReload
		if s.Reload == ReloadNone {
			method = RotateCopyTruncate
		}
		s.LogRotate = &LogRotate{
			Files:     orSlice(lr.Files, []string{}),
			Method:    LogRotateMethod(or(lr.Method, string(method))),
			Frequency: or(lr.Frequency, DefaultLogRotateFreq),
			Rotate:    DefaultLogRotateRotate,
			Compress:  lr.Compress == nil || *lr.Compress,
			Mode:      DefaultLogRotateMode,
		}
		if lr.Rotate != nil {
			s.LogRotate.Rotate = *lr.Rotate
		}
		if lr.Mode != nil {
			s.LogRotate.Mode = fs.FileMode(*lr.Mode)
		}
	}
}

// canonicalCapabilities writes known capability names canonically and
// keeps unknown ones as written, for the validator to name.
func canonicalCapabilities(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		if c, ok := CanonicalCapability(n); ok {
			n = c
		}
		out[i] = n
	}
	return out
}

// overrideValueRE is the syntax of a hardening override's value: words of
// letters, digits and _@~:./+,=- separated by single spaces.
var overrideValueRE = regexp.MustCompile(`^[A-Za-z0-9_@~:./+,=-]+( [A-Za-z0-9_@~:./+,=-]+)*$`)

// overrideValues are the values of the directives that take a fixed set.
var overrideValues = func() map[string][]string {
	yesNo := []string{"yes", "no"}
	m := map[string][]string{
		"ProtectSystem": {"yes", "no", "full", "strict"},
		"ProtectHome":   {"yes", "no", "read-only", "tmpfs"},
		"DevicePolicy":  {"auto", "closed", "strict"},
		"ProtectProc":   {"noaccess", "invisible", "ptraceable", "default"},
		"ProcSubset":    {"all", "pid"},
		"KeyringMode":   {"inherit", "private", "shared"},
	}
	for _, d := range []string{"NoNewPrivileges", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
		"ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
		"RestrictSUIDSGID", "RestrictRealtime", "LockPersonality", "PrivateUsers", "MemoryDenyWriteExecute",
		"RemoveIPC", "PrivateIPC", "PrivateMounts", "PrivateNetwork"} {
		m[d] = yesNo
	}
	return m
}()

// ValidOverride reports whether o can stand in a unit: a directive of
// HardeningDirectives and a value that is "" (leave the directive out),
// one of the directive's values when it takes a fixed set (yes/no for
// booleans), or else words of letters, digits and _@~:./+,=- separated by
// single spaces.
func ValidOverride(o Override) bool { return overrideProblem(o) == "" }

// overrideProblem returns what is wrong with o, or "".
func overrideProblem(o Override) string {
	if !slices.Contains(hardeningDirectives, o.Directive) {
		return fmt.Sprintf("%q is not a sandboxing directive a spec may override", o.Directive)
	}
	if o.Value == "" {
		return ""
	}
	if vals, ok := overrideValues[o.Directive]; ok && !slices.Contains(vals, o.Value) {
		return fmt.Sprintf("%q must be one of %s", o.Value, strings.Join(vals, ", "))
	}
	if len(o.Value) > 1000 || !overrideValueRE.MatchString(o.Value) {
		return fmt.Sprintf("%q must be words of letters, digits and _@~:./+,=- separated by single spaces", o.Value)
	}
	return ""
}

// umaskRE is a umask as Spec keeps it.
var umaskRE = regexp.MustCompile(`^0[0-7]{3}$`)

// ValidUMask reports whether m is a umask as Spec keeps it: four octal
// digits, the first 0 ("0027").
func ValidUMask(m string) bool { return umaskRE.MatchString(m) }

// ValidAliasOf reports whether a may be an alias of s: a valid name other
// than s's own, a template exactly when s is one.
func (s *Spec) ValidAliasOf(a string) bool {
	return ValidName(a) && a != s.Name && strings.HasSuffix(a, "@") == s.IsTemplate()
}

// ValidPathIn is ValidPath for a value of s: in a template service the
// instance specifiers %i and %I stand for an instance name.
func (s *Spec) ValidPathIn(p string) bool {
	if s.IsTemplate() {
		return ValidInstancePath(p)
	}
	return ValidPath(p)
}

// argsEnvValueProblem returns what is wrong with a default of
// args_from_env, which the package writes in double quotes for both the
// shell and systemd to read the same, or "".
func argsEnvValueProblem(v string) string {
	switch {
	case !Printable(v):
		return "must be one line of printable UTF-8 text"
	case strings.ContainsAny(v, "\"\\$`"):
		return fmt.Sprintf("%q must not contain \" \\ $ or ` (the shell and systemd would read them differently)", v)
	}
	return ""
}

// checkV2 checks the v2 fields of one service.
func (v *validator) checkV2() {
	s := v.spec
	v.instanceFields()
	seenEnv := map[string]bool{}
	for _, e := range s.ArgsFromEnv {
		f := "args_from_env." + e.Name
		if !ValidEnvName(e.Name) {
			v.fail(f, "variable names must match [A-Za-z_][A-Za-z0-9_]*")
		}
		if seenEnv[e.Name] {
			v.fail(f, "duplicate variable")
		}
		seenEnv[e.Name] = true
		if problem := argsEnvValueProblem(e.Value); problem != "" {
			v.fail(f, "%s", problem)
		}
	}
	v.directories()
	for _, list := range []struct {
		field string
		paths []string
	}{{"read_write_paths", s.ReadWritePaths}, {"read_only_paths", s.ReadOnlyPaths}, {"inaccessible_paths", s.InaccessiblePaths}} {
		for i, p := range list.paths {
			v.absPath(fmt.Sprintf("%s[%d]", list.field, i), strings.TrimPrefix(p, "-"))
		}
	}
	v.capabilities("capability_bounding_set", s.CapabilityBoundingSet)
	v.capabilities("ambient_capabilities", s.AmbientCapabilities)
	if s.CapabilityBoundingSet != nil {
		for i, c := range s.AmbientCapabilities {
			if _, ok := CanonicalCapability(c); ok && !slices.Contains(s.CapabilityBoundingSet, c) {
				v.fail(fmt.Sprintf("ambient_capabilities[%d]", i), "%s is not in capability_bounding_set (a capability outside the bounding set cannot be ambient)", c)
			}
		}
	}
	if s.UMask != "" && !ValidUMask(s.UMask) {
		v.fail("umask", "%q must be an octal mask like 0027", s.UMask)
	}
	for _, o := range s.HardeningOverrides {
		if problem := overrideProblem(o); problem != "" {
			v.fail("hardening_overrides."+snakeCase(o.Directive), "%s", problem)
		}
	}
	v.reload()
	for i, argv := range s.ExecStartPre {
		v.command(fmt.Sprintf("exec_start_pre[%d]", i), argv)
	}
	if s.StopTimeoutInfinite && s.StopTimeout != MaxDuration {
		v.fail("stop_timeout", "must be MaxDuration when StopTimeoutInfinite is set")
	}
	if s.KillMode != "" && !s.KillMode.Valid() {
		v.fail("kill_mode", "%q must be one of control-group, mixed, process", s.KillMode)
	}
	v.duration("start_limit_interval_sec", s.StartLimitInterval)
	if v.given.startLimitIntervalZero {
		v.fail("start_limit_interval_sec", "must be greater than 0 (leave it out for the default)")
	}
	switch {
	case v.given.startLimitBurstZero || s.StartLimitBurst < 0:
		v.fail("start_limit_burst", "must be from 1 to %d (leave it out for the default)", MaxStartLimitBurst)
	case s.StartLimitBurst > MaxStartLimitBurst:
		v.fail("start_limit_burst", "must be from 1 to %d", MaxStartLimitBurst)
	}
	for i, d := range s.Documentation {
		if !ValidDocumentation(d) {
			v.fail(fmt.Sprintf("documentation[%d]", i), "%q must be a URI (http, https, file, info or man) without spaces, quotes or backslashes", d)
		}
	}
	seenAlias := map[string]int{}
	for i, a := range s.Aliases {
		f := fmt.Sprintf("alias[%d]", i)
		switch {
		case !ValidName(a):
			v.fail(f, "%q must match [a-z0-9][a-z0-9._-]* (without .service)", a)
		case a == s.Name:
			v.fail(f, "%q is the service's own name", a)
		case strings.HasSuffix(a, "@") != s.IsTemplate():
			v.fail(f, "%q: the alias of a template service is a template (ends in @), and only it", a)
		}
		if j, dup := seenAlias[a]; dup {
			v.fail(f, "duplicate of alias[%d]", j)
		}
		seenAlias[a] = i
	}
	v.logRotate()
}

// instanceFields: %i and %I only in a template service; no socket
// activation for a template (its socket would start one instance per
// connection).
func (v *validator) instanceFields() {
	s := v.spec
	if s.IsTemplate() {
		if len(s.Listen) > 0 || len(v.listen) > 0 {
			v.fail("listen", "a template service cannot be socket-activated (NAME@.socket would start an instance per connection)")
		}
		return
	}
	const why = "%%i and %%I are instance specifiers: only a template service (name ending in @) may use them"
	check := func(field, t string) {
		if HasInstanceSpecifier(t) {
			v.fail(field, why)
		}
	}
	check("description", s.Description)
	check("pidfile", s.PIDFile)
	for i, a := range s.Args {
		check(fmt.Sprintf("args[%d]", i), a)
	}
	for _, e := range s.Environment {
		check("environment."+e.Name, e.Value)
	}
	fields := v.dirFields()
	for i, d := range s.Directories {
		check(fields[i], d.Name)
	}
	for i, argv := range s.ExecStartPre {
		for j, a := range argv {
			check(fmt.Sprintf("exec_start_pre[%d][%d]", i, j), a)
		}
	}
	for i, a := range s.ExecReload {
		check(fmt.Sprintf("exec_reload[%d]", i), a)
	}
}

// dirFields names each entry of Directories as the file has it:
// "state_directory[1]".
func (v *validator) dirFields() []string {
	out := make([]string, len(v.spec.Directories))
	n := map[DirectoryKind]int{}
	for i, d := range v.spec.Directories {
		out[i] = fmt.Sprintf("%s_directory[%d]", d.Kind, n[d.Kind])
		n[d.Kind]++
	}
	return out
}

// directories checks Directories: names relative to their kind's base,
// clean, unique per kind, in no shared or system directory; one mode per
// kind, without setuid or o+w.
func (v *validator) directories() {
	s := v.spec
	seen := map[string]string{}
	modes := map[DirectoryKind]fs.FileMode{}
	fields := v.dirFields()
	lastKind := 0
	for i, d := range s.Directories {
		f := fields[i]
		if !d.Kind.Valid() {
			v.fail(f, "%q is not a directory kind", d.Kind)
			continue
		}
		if k := slices.Index(DirectoryKinds(), d.Kind); k < lastKind {
			v.fail(f, "Directories must be sorted by kind (runtime, state, cache, logs, configuration)")
		} else {
			lastKind = k
		}
		name := v.instance(d.Name)
		switch {
		case d.Name == "":
			v.fail(f, "must not be empty")
			continue
		case strings.HasPrefix(d.Name, "/"):
			v.fail(f, "%q must be relative to %s (like %s)", d.Name, d.Kind.Base(), s.BaseName())
			continue
		case path.Clean(name) != name || name == "." || slices.Contains(strings.Split(name, "/"), ".."):
			v.fail(f, "%q must be a clean relative path without . or ..", d.Name)
			continue
		}
		full := d.Kind.Base() + "/" + name
		if problem := pathProblem(full); problem != "" {
			v.fail(f, "%s", strings.ReplaceAll(problem, strconv.Quote(full), strconv.Quote(d.Path())))
			continue
		}
		if d.Kind == DirRuntime {
			if dir, why := sharedDir(full + "/x"); dir != "" {
				v.fail(f, "%q is in %s, which %s", d.Path(), dir, why)
			}
		} else if why := dstProblem(full + "/x"); why != "" {
			v.fail(f, "%q %s", d.Path(), why)
		}
		if prev, dup := seen[d.Path()]; dup {
			v.fail(f, "duplicate of %s", prev)
		}
		seen[d.Path()] = f
		mf := string(d.Kind) + "_directory_mode"
		first, ok := modes[d.Kind]
		switch {
		case !ok:
			modes[d.Kind] = d.Mode
			if problem := dirModeProblem(d.Mode); problem != "" {
				v.fail(mf, "%s", problem)
			}
		case d.Mode != first:
			v.fail(mf, "every %s directory must have the same mode (systemd has one per kind)", d.Kind)
		}
	}
	for _, k := range v.given.modeWithoutDirectory {
		v.fail(string(k)+"_directory_mode", "there is no %s_directory to apply it to", k)
	}
}

// dirModeProblem returns what is wrong with a directory's mode, or "".
// Setgid (a group-shared tree) and sticky are allowed.
func dirModeProblem(m fs.FileMode) string {
	switch {
	case m > 0o7777:
		return fmt.Sprintf("%o is not a mode (at most 07777)", uint32(m))
	case m&0o4000 != 0:
		return fmt.Sprintf("%04o: the setuid bit is refused", uint32(m))
	case m&0o002 != 0:
		return fmt.Sprintf("%04o: writable by others (drop the o+w bit)", uint32(m))
	}
	return ""
}

// capabilities checks a capability list: known names, canonical, unique.
func (v *validator) capabilities(field string, caps []string) {
	seen := map[string]int{}
	for i, c := range caps {
		f := fmt.Sprintf("%s[%d]", field, i)
		canon, ok := CanonicalCapability(c)
		switch {
		case !ok:
			v.fail(f, "%q is not a Linux capability (like CAP_NET_BIND_SERVICE or net_bind_service)", c)
			continue
		case canon != c:
			v.fail(f, "%q must be written %s", c, canon)
		}
		if j, dup := seen[canon]; dup {
			v.fail(f, "duplicate of %s[%d]", field, j)
		}
		seen[canon] = i
	}
}

// reload checks reload, exec_reload and reload_signal together.
func (v *validator) reload() {
	s := v.spec
	if !s.Reload.Valid() {
		v.fail("reload", "%q must be one of signal, command, none", s.Reload)
		return
	}
	switch {
	case s.Reload == ReloadCommand && len(s.ExecReload) == 0:
		v.fail("reload", "command needs exec_reload, the command to run (like [/usr/sbin/prog, -s, reload])")
	case s.Reload == ReloadCommand:
		v.command("exec_reload", s.ExecReload)
	case s.ExecReload != nil && v.given.execReload:
		v.fail("exec_reload", "is only for reload: command (reload is %s)", s.Reload)
	}
	if s.Reload != ReloadSignal && v.given.reloadSignal && !v.byHand {
		v.fail("reload_signal", "is only for reload: signal (reload is %s)", s.Reload)
	}
}

// command checks one argv: not empty, argv[0] an absolute clean path, no
// NUL bytes.
func (v *validator) command(field string, argv []string) {
	if len(argv) == 0 {
		v.fail(field, "must not be empty: the program and its arguments, like [/usr/sbin/prog, -t]")
		return
	}
	v.absPath(field+"[0]", argv[0])
	for i, a := range argv[1:] {
		if strings.IndexByte(a, 0) >= 0 {
			v.fail(fmt.Sprintf("%s[%d]", field, i+1), "must not contain a NUL byte")
		}
	}
}

// logRotate checks logrotate.
func (v *validator) logRotate() {
	lr := v.spec.LogRotate
	if lr == nil {
		return
	}
	if len(lr.Files) == 0 {
		v.fail("logrotate.files", "must list at least one log file (like /var/log/%s/*.log)", v.spec.BaseName())
	}
	for i, f := range lr.Files {
		glob := strings.NewReplacer("*", "x", "?", "x").Replace(f)
		if problem := pathProblem(glob); problem != "" {
			v.fail(fmt.Sprintf("logrotate.files[%d]", i), "%s", strings.ReplaceAll(problem, strconv.Quote(glob), strconv.Quote(f)))
		} else if !strings.HasPrefix(f, "/var/log/") {
			v.fail(fmt.Sprintf("logrotate.files[%d]", i), "%q must be under /var/log/", f)
		}
	}
	switch {
	case !lr.Method.Valid():
		v.fail("logrotate.method", "%q must be reload or copytruncate", lr.Method)
	case lr.Method == RotateReload && v.spec.Reload == ReloadNone:
		v.fail("logrotate.method", "reload needs a service that reloads (reload is none); use copytruncate")
	}
	if !slices.Contains([]string{"daily", "weekly", "monthly"}, lr.Frequency) {
		v.fail("logrotate.frequency", "%q must be daily, weekly or monthly", lr.Frequency)
	}
	if lr.Rotate < 1 || lr.Rotate > 1000 {
		v.fail("logrotate.rotate", "must be from 1 to 1000")
	}
	if lr.Mode > 0o777 || lr.Mode&0o002 != 0 {
		v.fail("logrotate.mode", "%04o must be permission bits (at most 0777) without o+w", uint32(lr.Mode))
	}
}

// services checks what holds across the services of one file: names and
// aliases unique, further services without a package of their own.
func (v *validator) services() {
	s := v.spec
	names := map[string]string{}
	claim := func(name, field string) {
		if prev, dup := names[name]; dup {
			v.failAt(lineIn(v.positions(), field), field, "%q is already used by %s", name, prev)
			return
		}
		names[name] = field
	}
	for i, svc := range s.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("services[%d].", i-1)
			if svc.Extra != nil || !zeroPackage(svc.Package) {
				v.failAt(lineIn(v.positions(), prefix+"package"), prefix+"package", "a further service has no package (or services) of its own")
			}
		}
		if svc.Name != "" {
			claim(svc.Name, prefix+"name")
		}
		for j, a := range svc.Aliases {
			claim(a, fmt.Sprintf("%salias[%d]", prefix, j))
		}
	}
	v.sharedEnvironmentFiles()
}

// sharedEnvironmentFiles refuses two services that read one environment
// file and give one args_from_env variable different defaults: the file
// the package ships can set it only once.
func (v *validator) sharedEnvironmentFiles() {
	type setBy struct{ value, field string }
	seen := map[string]map[string]setBy{}
	for i, svc := range v.spec.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("services[%d].", i-1)
		}
		vars := seen[svc.EnvironmentFile]
		if vars == nil {
			vars = map[string]setBy{}
			seen[svc.EnvironmentFile] = vars
		}
		for _, e := range svc.ArgsFromEnv {
			field := prefix + "args_from_env." + e.Name
			prev, ok := vars[e.Name]
			switch {
			case !ok:
				vars[e.Name] = setBy{e.Value, field}
			case prev.value != e.Value:
				v.failAt(lineIn(v.positions(), field), field, "%s is read by %s too, with another default", svc.EnvironmentFile, prev.field)
			}
		}
	}
}

// zeroPackage reports whether p is the zero Package.
func zeroPackage(p Package) bool {
	return p.Version == "" && p.Release == "" && p.Arch == "" && p.Maintainer == "" && p.License == "" &&
		p.Homepage == "" && p.Depends == nil && p.Files == nil && p.Conffiles == nil && !p.Enable && !p.Start &&
		p.Directories == nil && p.Purge == nil
}

// pkgV2 checks the v2 package keys: owners of shipped files, the
// directories the package ships, and the purge policy. names are the
// base names of the package's services.
func (v *validator) pkgV2(names []string, p *Package) {
	var users, groups []string
	for _, svc := range v.spec.All() {
		if svc.User != "" {
			users = append(users, svc.User)
		}
		if svc.Group != "" {
			groups = append(groups, svc.Group)
		}
	}
	accounts := strings.Join(slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(users), groups...)))), ", ")
	if accounts == "" {
		accounts = "none: no service has a user or group"
	}
	for i, f := range p.Files {
		field := fmt.Sprintf("package.files[%d]", i)
		if f.Owner != "" && f.Owner != "root" && !slices.Contains(users, f.Owner) {
			v.fail(field+".owner", "%q must be root or the user of one of the package's services (%s)", f.Owner, accounts)
		}
		if f.Group != "" && f.Group != "root" && !slices.Contains(groups, f.Group) && !slices.Contains(users, f.Group) {
			v.fail(field+".group", "%q must be root or the group or user of one of the package's services (%s)", f.Group, accounts)
		}
	}
	seen := map[string]int{}
	fileDsts := map[string]int{}
	for i, f := range p.Files {
		fileDsts[f.Dst] = i
	}
	for i, d := range p.Directories {
		field := fmt.Sprintf("package.directories[%d]", i)
		if d.Path == "" {
			v.required(field + ".path")
		} else if problem := pathProblem(d.Path); problem != "" {
			v.fail(field+".path", "%s", problem)
		} else if other := foreignUnit(names, d.Path+"/x"); other != "" {
			v.fail(field+".path", "%q is another service's unit directory (%s)", d.Path, other)
		} else if why := dstProblem(d.Path); why != "" {
			v.fail(field+".path", "%q %s", d.Path, why)
		} else if j, ok := fileDsts[d.Path]; ok {
			v.fail(field+".path", "%q is also package.files[%d]", d.Path, j)
		}
		if j, dup := seen[d.Path]; dup && d.Path != "" {
			v.fail(field+".path", "duplicate of package.directories[%d]", j)
		}
		seen[d.Path] = i
		if problem := dirModeProblem(d.Mode); problem != "" {
			v.fail(field+".mode", "%s", problem)
		}
		if d.Owner != "" && !ValidAccount(d.Owner) {
			v.fail(field+".owner", "%q must match [a-z_][a-z0-9_-]* and be at most 32 characters", d.Owner)
		}
		if d.Group != "" && !ValidAccount(d.Group) {
			v.fail(field+".group", "%q must match [a-z_][a-z0-9_-]* and be at most 32 characters", d.Group)
		}
	}
	has := func(k DirectoryKind) bool {
		for _, svc := range v.spec.All() {
			if slices.ContainsFunc(svc.Directories, func(d Directory) bool { return d.Kind == k }) {
				return true
			}
		}
		return false
	}
	last := -1
	for _, item := range p.Purge {
		k := slices.Index(Purgeable(), item)
		switch {
		case k < 0:
			v.fail("package.purge", "%q is not one of state, cache, logs, configuration, account", item)
			continue
		case k <= last:
			v.fail("package.purge", "must list each item once, in the order state, cache, logs, configuration, account")
		}
		last = k
		var missing string
		switch item {
		case PurgeState:
			if !has(DirState) {
				missing = "no service declares a state_directory"
			}
		case PurgeCache:
			if !has(DirCache) {
				missing = "no service declares a cache_directory"
			}
		case PurgeLogs:
			if !has(DirLogs) && !slices.ContainsFunc(v.spec.All(), func(s *Spec) bool { return s.LogRotate != nil }) {
				missing = "no service declares a logs_directory or logrotate"
			}
		case PurgeConfig:
			if !has(DirConfiguration) && len(p.Directories) == 0 {
				missing = "no service declares a configuration_directory and package.directories is empty"
			}
		case PurgeAccount:
			if len(users) == 0 && len(groups) == 0 {
				missing = "no service has a user or group"
			}
		}
		if missing != "" {
			v.fail("package.purge", "%s: nothing to purge (%s)", item, missing)
		}
	}
	v.purgePaths(p)
}

// purgePaths refuses a purge policy that would remove a directory not the
// service's own, or log files that may be other programs'.
func (v *validator) purgePaths(p *Package) {
	want := func(it PurgeItem) bool { return slices.Contains(p.Purge, it) }
	kind := map[DirectoryKind]bool{DirState: want(PurgeState), DirCache: want(PurgeCache), DirLogs: want(PurgeLogs), DirConfiguration: want(PurgeConfig)}
	check := func(dir, field string) {
		if !strings.Contains(dir, "%") && !PurgeableDir(dir) {
			v.failAt(lineIn(v.positions(), field), field, "purge would remove %q, which is not a directory of the service's own", dir)
		}
	}
	for i, svc := range v.spec.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("services[%d].", i-1)
		}
		for _, d := range svc.Directories {
			if kind[d.Kind] {
				check(d.Path(), prefix+string(d.Kind)+"_directory")
			}
		}
		if want(PurgeLogs) && svc.LogRotate != nil {
			for j, f := range svc.LogRotate.Files {
				dir, base := path.Split(f)
				dir = path.Clean(dir)
				if !strings.Contains(f, "%") && !PurgeableDir(dir) && (dir != "/var/log" || strings.ContainsAny(base[:1], "*?")) {
					field := fmt.Sprintf("%slogrotate.files[%d]", prefix, j)
					v.failAt(lineIn(v.positions(), field), field, "purge would remove %q, which may match other programs' logs", f)
				}
			}
		}
	}
	if want(PurgeConfig) {
		for i, d := range p.Directories {
			check(d.Path, fmt.Sprintf("package.directories[%d].path", i))
		}
	}
}

// purgeBases are the directories under which purge may remove a directory
// (one level below at least); systemBelow are directories there that belong
// to the system and are never removed.
var (
	purgeBases  = []string{"/etc", "/var/lib", "/var/cache", "/var/log", "/run", "/srv", "/opt"}
	systemBelow = []string{
		"/etc/default", "/etc/init.d", "/etc/rc.d", "/etc/systemd", "/etc/logrotate.d", "/etc/sysusers.d",
		"/etc/security", "/etc/ssl", "/etc/alternatives", "/etc/apt", "/etc/dpkg", "/etc/yum.repos.d",
		"/var/lib/dpkg", "/var/lib/apt", "/var/lib/rpm", "/var/lib/systemd", "/var/lib/daemonctl",
		"/var/cache/apt", "/var/cache/dnf", "/var/log/journal", "/run/systemd", "/run/user", "/run/lock",
	}
)

// PurgeableDir reports whether purging a package may remove the directory p: absolute,
// clean, below one of purgeBases, not a system directory nor one holding
// one.
func PurgeableDir(p string) bool {
	if !ValidPath(p) {
		return false
	}
	if !slices.ContainsFunc(purgeBases, func(b string) bool { return strings.HasPrefix(p, b+"/") }) {
		return false
	}
	return !slices.ContainsFunc(systemBelow, func(d string) bool { return p == d || strings.HasPrefix(d, p+"/") })
}
