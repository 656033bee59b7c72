package systemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/templates"
)

// Errors returned by the generator, wrapped with the setting at fault.
var (
	// ErrNoListen is returned by Socket for a spec without listen addresses.
	ErrNoListen = errors.New("systemd: the spec has no listen addresses, so there is no socket unit")
	// ErrUnrepresentable is returned when a spec value cannot be written
	// into a unit file so that systemd reads it back unchanged.
	ErrUnrepresentable = errors.New("systemd: value cannot be written to a unit file")
)

// MaxLineLen is the longest unit file line, newline excluded, that the
// generator writes. Older systemd releases silently truncate longer lines
// (LINE_MAX, 2048 bytes with the newline), so a longer ExecStart= would
// lose arguments there; the generator refuses it instead.
const MaxLineLen = 2047

// Template names, as embedded in templates.FS.
const (
	serviceTemplate = "systemd-service.tmpl"
	socketTemplate  = "systemd-socket.tmpl"
)

// Generator renders systemd units from a spec. The zero value is not
// usable: call New. A Generator is safe for concurrent use.
type Generator struct {
	tmpl *template.Template
}

// New parses the systemd templates once. The error is non-nil only if the
// embedded templates are broken, which the package tests rule out.
func New() (*Generator, error) {
	t, err := template.New("systemd").
		Funcs(sprig.TxtFuncMap()).
		Option("missingkey=error").
		ParseFS(templates.FS, "systemd-*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("systemd: parse templates: %w", err)
	}
	for _, name := range []string{serviceTemplate, socketTemplate} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("systemd: template %s is missing", name)
		}
	}
	return &Generator{tmpl: t}, nil
}

// Service writes the text of <name>.service for s to w. It returns an
// error wrapping ErrUnrepresentable when a value cannot be written so that
// systemd reads it back unchanged (e.g. a line over MaxLineLen), or the
// error of w. Nothing is written to w on a validation error.
func (g *Generator) Service(w io.Writer, s *spec.Spec) error {
	v, err := newServiceView(s)
	if err != nil {
		return err
	}
	return g.render(w, serviceTemplate, v)
}

// Socket writes the text of <name>.socket for s to w, one ListenStream=
// per listen address. It returns ErrNoListen when s has none, or the error
// of w.
func (g *Generator) Socket(w io.Writer, s *spec.Spec) error {
	if err := checkSpec(s); err != nil {
		return err
	}
	if len(s.Listen) == 0 {
		return fmt.Errorf("%w: %s", ErrNoListen, s.Name)
	}
	return g.render(w, socketTemplate, newSocketView(s))
}

// Files renders every unit the package of s needs, for each service of
// s.All() in order: "<name>.service" and, when that service has listen
// addresses, "<name>.socket", all mode 0644. A template service (name
// ending in "@") gives "<name>@.service". Errors are those of Service and
// Socket; no files are returned on error.
func (g *Generator) Files(s *spec.Spec) ([]atomicfile.File, error) {
	if s == nil {
		return nil, checkSpec(s)
	}
	var files []atomicfile.File
	for _, svc := range s.All() {
		var unit bytes.Buffer
		if err := g.Service(&unit, svc); err != nil {
			return nil, err
		}
		files = append(files, atomicfile.File{Name: svc.Name + ".service", Mode: 0o644, Data: unit.Bytes()})
		if len(svc.Listen) > 0 {
			var sock bytes.Buffer
			if err := g.Socket(&sock, svc); err != nil {
				return nil, err
			}
			files = append(files, atomicfile.File{Name: svc.Name + ".socket", Mode: 0o644, Data: sock.Bytes()})
		}
	}
	return files, nil
}

// render executes a template into a buffer, checks line lengths, and only
// then writes to w.
func (g *Generator) render(w io.Writer, name string, view any) error {
	var buf bytes.Buffer
	if err := g.tmpl.ExecuteTemplate(&buf, name, view); err != nil {
		return fmt.Errorf("systemd: render %s: %w", name, err)
	}
	for i, line := range strings.Split(buf.String(), "\n") {
		if len(line) > MaxLineLen {
			key, _, _ := strings.Cut(line, "=")
			return fmt.Errorf("%w: %s= would be %d bytes long (line %d), over the %d bytes every systemd version reads",
				ErrUnrepresentable, key, len(line), i+1, MaxLineLen)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("systemd: write %s: %w", name, err)
	}
	return nil
}

// serviceView is what systemd-service.tmpl renders. Every string is ready
// to be written as a setting's value: quoted and escaped as that setting
// needs. Empty strings and nil slices mean "leave the setting out".
type serviceView struct {
	Name               string
	Description        string
	Documentation      []string
	After              []string
	Wants              []string
	Requires           []string
	StartLimitInterval string
	StartLimitBurst    int
	Type               string
	NotifyAccess       string
	PIDFile            string
	User               string
	Group              string
	WorkingDirectory   string
	EnvironmentFile    string
	Environment        []string
	ExecStartPre       []string
	ExecStart          string
	ExecReload         []string
	Restart            string
	RestartSec         string
	TimeoutStopSec     string
	SendSIGKILL        string
	KillMode           string
	WatchdogSec        string
	Limits             []limitView
	Directories        []directoryView
	Socket             string
	Aliases            []string
	Hardening          hardeningView
}

// limitView is one Limit*= line.
type limitView struct {
	Directive string
	Value     string
}

// directoryView is one kind's <Kind>Directory= line and its mode.
type directoryView struct {
	Directive string // e.g. "RuntimeDirectory"
	Names     string // space-separated, relative to the kind's base
	Mode      string // four octal digits
	// Preserve is "yes" when a socket unit keeps a Unix socket inside a
	// runtime directory, which systemd would otherwise delete with the
	// directory whenever the service stops.
	Preserve string
}

// hardeningView is the sandboxing block of a .service: a comment and the
// settings, in order. No Settings means no block.
type hardeningView struct {
	Level    string // off, default or strict
	Settings []setting
}

// setting is one Directive=Value line.
type setting struct {
	Directive string
	Value     string
}

// Settings the service unit uses unless the spec says otherwise.
const (
	startLimitBurst       = 5
	minStartLimitInterval = time.Minute
	defaultDirectoryMode  = 0o755
)

// rootDeniedCapabilities are the capabilities a root service loses at
// level default: administration of the host, kernel, devices and other
// users' processes, none of which a network daemon needs.
var rootDeniedCapabilities = []string{
	"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE", "CAP_BLOCK_SUSPEND", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE", "CAP_IPC_LOCK", "CAP_LEASE", "CAP_LINUX_IMMUTABLE",
	"CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_MKNOD", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_PERFMON", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_NICE",
	"CAP_SYS_PACCT", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_SYSLOG", "CAP_WAKE_ALARM",
}

func newServiceView(s *spec.Spec) (*serviceView, error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	q := newQuoter(s)
	v := &serviceView{
		Name:               s.Name,
		Description:        q.text(s.Description),
		After:              escapeAll(q, s.After),
		Wants:              escapeAll(q, s.Wants),
		Requires:           escapeAll(q, s.Requires),
		StartLimitInterval: formatDuration(max(minStartLimitInterval, scaleDuration(s.RestartDelay, 10))),
		StartLimitBurst:    startLimitBurst,
		Type:               string(s.Type),
		User:               s.User,
		Group:              s.Group,
		WorkingDirectory:   q.text(s.WorkingDirectory),
		EnvironmentFile:    "-" + q.text(s.EnvironmentFile),
		ExecStart:          execStart(q, s),
		Restart:            string(s.Restart),
		RestartSec:         formatDuration(s.RestartDelay),
		TimeoutStopSec:     formatDuration(s.StopTimeout),
		SendSIGKILL:        "yes",
		KillMode:           string(s.KillMode),
		Documentation:      documentation(q, s),
	}
	if s.StartLimitInterval > 0 {
		v.StartLimitInterval = formatDuration(s.StartLimitInterval)
	}
	if s.StartLimitBurst > 0 {
		v.StartLimitBurst = s.StartLimitBurst
	}
	if s.StopTimeoutInfinite {
		v.TimeoutStopSec = "infinity"
	}
	if !s.SendSIGKILL {
		v.SendSIGKILL = "no"
	}
	if s.Type == spec.TypeNotify {
		v.NotifyAccess = "main"
	}
	if s.WatchdogTimeout > 0 {
		v.WatchdogSec = formatDuration(s.WatchdogTimeout)
	}
	pidfile := runPath(s.PIDFile)
	if s.Type == spec.TypeForking {
		v.PIDFile = q.text(pidfile)
	}
	for _, pre := range s.ExecStartPre {
		v.ExecStartPre = append(v.ExecStartPre, q.exec(pre[0], pre[1:]))
	}
	switch s.Reload {
	case spec.ReloadSignal, "": // "": a Spec built by hand before v2
		v.ExecReload = append(slices.Clone(v.ExecStartPre), "/bin/kill -"+s.ReloadSignal+" $MAINPID")
	case spec.ReloadCommand:
		v.ExecReload = append(slices.Clone(v.ExecStartPre), q.exec(s.ExecReload[0], s.ExecReload[1:]))
	}
	for _, e := range s.Environment {
		v.Environment = append(v.Environment, q.env(e.Name, e.Value))
	}
	for _, l := range s.Limits {
		v.Limits = append(v.Limits, limitView{Directive: l.Directive(), Value: l.Soft() + ":" + l.Hard()})
	}
	if len(s.Listen) > 0 {
		v.Socket = socketName(s)
	}
	for _, a := range s.Aliases {
		v.Aliases = append(v.Aliases, a+".service")
	}
	// Only the service's own directory may be RuntimeDirectory=: systemd
	// creates it, chowns it to User= and deletes it when the service
	// stops, which would wreck a shared one such as /run/lock.
	runDir := s.RuntimeDirectory()
	v.Directories = directories(q, s, runDir)
	v.Hardening = newHardeningView(s, path.Dir(pidfile), runDir != "")
	return v, nil
}

// execStart is the ExecStart= value: the program, its arguments, then
// each args_from_env variable as an unquoted $NAME, which systemd splits
// at white space into words (none when the variable is empty or unset).
func execStart(q quoter, s *spec.Spec) string {
	line := q.exec(s.Exec, s.Args)
	for _, e := range s.ArgsFromEnv {
		line += " $" + e.Name
	}
	return line
}

// socketName is the name of the service's socket unit as the service
// refers to it: a template's instance refers to its own instance of the
// socket template (%N is the unit name without its suffix).
func socketName(s *spec.Spec) string {
	if s.IsTemplate() {
		return "%N.socket"
	}
	return s.Name + ".socket"
}

// directories returns the <Kind>Directory= lines: the spec's directories
// by kind, with the pidfile's own runtime directory (runDir, "" when it is
// not the service's own) first among the runtime ones. systemd has one
// mode per kind: the spec's, else 0755.
func directories(q quoter, s *spec.Spec, runDir string) []directoryView {
	var out []directoryView
	for _, kind := range spec.DirectoryKinds() {
		var names []string
		mode := fs.FileMode(defaultDirectoryMode)
		if kind == spec.DirRuntime && runDir != "" {
			names = append(names, strings.TrimPrefix(runDir, "/run/"))
		}
		for _, d := range s.Directories {
			if d.Kind == kind {
				mode = d.Mode
				if !slices.Contains(names, d.Name) {
					names = append(names, d.Name)
				}
			}
		}
		if len(names) == 0 {
			continue
		}
		dv := directoryView{
			Directive: directiveOf(kind) + "Directory",
			Names:     strings.Join(escapeAll(q, names), " "),
			Mode:      fmt.Sprintf("%04o", uint32(spec.UnixMode(mode))),
		}
		if kind == spec.DirRuntime {
			for _, l := range s.Listen {
				for _, n := range names {
					if l.Network == spec.NetworkUnix && under(l.Path, "/run/"+n) {
						dv.Preserve = "yes"
					}
				}
			}
		}
		out = append(out, dv)
	}
	return out
}

// directiveOf is the directive prefix of a kind ("State" for state).
func directiveOf(k spec.DirectoryKind) string {
	if k == "" {
		return ""
	}
	return strings.ToUpper(string(k[:1])) + string(k[1:])
}

// newHardeningView decides the sandboxing block: the level's settings
// (levelSettings), then the spec's capabilities, umask and
// hardening_overrides, each replacing the level's lines of its directive
// where they stand (or added at the end), then the spec's path lists.
// pidDir is the pidfile's directory; ownRunDir says it is the service's
// RuntimeDirectory=, which systemd makes writable itself.
func newHardeningView(s *spec.Spec, pidDir string, ownRunDir bool) hardeningView {
	q := newQuoter(s)
	b := &settings{list: levelSettings(s, pidDir, ownRunDir)}
	if s.CapabilityBoundingSet != nil {
		b.set("CapabilityBoundingSet", "NoNewPrivileges", strings.Join(s.CapabilityBoundingSet, " "))
	}
	if ambient := s.AmbientCapabilities; ambient != nil {
		if s.CapabilityBoundingSet == nil && len(ambient) > 0 {
			// The level's bounding set must not drop what the spec
			// asks to keep: an ambient capability needs to be in it.
			b.widenBoundingSet(ambient)
		}
		b.set("AmbientCapabilities", "CapabilityBoundingSet", strings.Join(ambient, " "))
		if len(ambient) > 0 {
			// In a user namespace of its own a capability is no good
			// on the host's resources (ports, files): the level's
			// PrivateUsers= would make the spec's ambient set void.
			b.set("PrivateUsers", "")
		}
	}
	if s.UMask != "" {
		b.set("UMask", "", s.UMask)
	}
	var order []string
	values := map[string][]string{}
	for _, o := range s.HardeningOverrides {
		if _, seen := values[o.Directive]; !seen {
			order = append(order, o.Directive)
			values[o.Directive] = []string{}
		}
		if o.Value != "" {
			values[o.Directive] = append(values[o.Directive], q.text(o.Value))
		}
	}
	for _, d := range order {
		b.set(d, "", values[d]...)
	}
	for _, p := range []struct {
		directive string
		paths     []string
	}{{"ReadWritePaths", s.ReadWritePaths}, {"ReadOnlyPaths", s.ReadOnlyPaths}, {"InaccessiblePaths", s.InaccessiblePaths}} {
		for _, path := range p.paths {
			b.list = append(b.list, setting{p.directive, q.text(path)})
		}
	}
	return hardeningView{Level: string(s.Hardening), Settings: b.list}
}

// levelSettings are the settings of the spec's hardening level, in the
// order the unit writes them; none for level off.
func levelSettings(s *spec.Spec, pidDir string, ownRunDir bool) []setting {
	strict := s.Hardening == spec.HardeningStrict
	if s.Hardening != spec.HardeningDefault && !strict {
		return nil
	}
	nonRoot := s.User != "" && s.User != "root"
	list := []setting{{"NoNewPrivileges", "yes"}}
	switch {
	case nonRoot:
		list = append(list, setting{"CapabilityBoundingSet", ""}, setting{"AmbientCapabilities", ""})
	case strict:
		list = append(list, setting{"CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"})
	default:
		list = append(list, setting{"CapabilityBoundingSet", "~" + strings.Join(rootDeniedCapabilities, " ")})
	}
	protectSystem := "full"
	if strict {
		protectSystem = "strict"
	}
	protectHome, privateTmp := "yes", true
	for _, p := range []string{s.Exec, s.WorkingDirectory, s.PIDFile, s.EnvironmentFile} {
		if under(p, "/home", "/root", "/run/user") {
			protectHome = "read-only"
		}
		if under(p, "/tmp", "/var/tmp") {
			privateTmp = false
		}
	}
	list = append(list, setting{"ProtectSystem", protectSystem}, setting{"ProtectHome", protectHome})
	if privateTmp {
		list = append(list, setting{"PrivateTmp", "yes"})
	}
	// Listing interfaces (getifaddrs, Go's net.Interfaces) needs netlink;
	// only strict assumes the daemon never does.
	families := "AF_UNIX AF_INET AF_INET6 AF_NETLINK"
	if strict {
		families = "AF_UNIX AF_INET AF_INET6"
	}
	list = append(list,
		setting{"PrivateDevices", "yes"},
		setting{"DevicePolicy", "closed"},
		setting{"ProtectKernelTunables", "yes"},
		setting{"ProtectKernelModules", "yes"},
		setting{"ProtectKernelLogs", "yes"},
		setting{"ProtectControlGroups", "yes"},
		setting{"ProtectClock", "yes"},
		setting{"ProtectHostname", "yes"},
		setting{"RestrictSUIDSGID", "yes"},
		setting{"RestrictRealtime", "yes"},
		setting{"RestrictNamespaces", "yes"},
		setting{"LockPersonality", "yes"},
		setting{"SystemCallArchitectures", "native"},
		setting{"SystemCallFilter", "@system-service"},
		setting{"SystemCallErrorNumber", "EPERM"},
		setting{"RestrictAddressFamilies", families},
	)
	if !ownRunDir && pidDir != "/run" {
		// "-": a missing directory is not an error.
		list = append(list, setting{"ReadWritePaths", "-" + newQuoter(s).text(pidDir)})
	}
	if strict {
		list = append(list, setting{"ProtectProc", "invisible"}, setting{"ProcSubset", "pid"})
		if nonRoot {
			list = append(list, setting{"PrivateUsers", "yes"})
		}
		list = append(list,
			setting{"MemoryDenyWriteExecute", "yes"},
			setting{"SystemCallFilter", "~@privileged @resources"},
			setting{"KeyringMode", "private"},
			setting{"RemoveIPC", "yes"},
			setting{"PrivateIPC", "yes"},
			setting{"PrivateMounts", "yes"},
			setting{"UMask", "0077"},
		)
	}
	return list
}

// settings is a sandboxing block being assembled.
type settings struct {
	list []setting
}

// set makes values the directive's lines: they replace every line of the
// directive, standing where its first line stood; without such a line
// they follow the last line of directive after (or end the block when
// there is none). No values removes the directive.
func (b *settings) set(directive, after string, values ...string) {
	at := -1
	kept := b.list[:0:0]
	for _, st := range b.list {
		if st.Directive == directive {
			if at < 0 {
				at = len(kept)
			}
			continue
		}
		kept = append(kept, st)
	}
	if at < 0 {
		at = len(kept)
		if after != "" {
			for i, st := range kept {
				if st.Directive == after {
					at = i + 1
				}
			}
		}
	}
	add := make([]setting, 0, len(values))
	for _, v := range values {
		add = append(add, setting{directive, v})
	}
	b.list = slices.Insert(kept, at, add...)
}

// widenBoundingSet lets the level's CapabilityBoundingSet= keep caps: a
// list gains them, a "~" deny list loses them.
func (b *settings) widenBoundingSet(caps []string) {
	for i, st := range b.list {
		if st.Directive != "CapabilityBoundingSet" {
			continue
		}
		deny, isDeny := strings.CutPrefix(st.Value, "~")
		words := strings.Fields(deny)
		if isDeny {
			words = slices.DeleteFunc(words, func(c string) bool { return slices.Contains(caps, c) })
			b.list[i].Value = "~" + strings.Join(words, " ")
			continue
		}
		for _, c := range caps {
			if !slices.Contains(words, c) {
				words = append(words, c)
			}
		}
		b.list[i].Value = strings.Join(words, " ")
	}
}

// socketView is what systemd-socket.tmpl renders.
type socketView struct {
	Name          string
	Description   string
	Documentation []string
	Listen        []string
	SocketUser    string // owner of unix sockets; empty for root
	SocketGroup   string
	SocketMode    string // mode of unix sockets; empty when there are none
	// Service is the unit the socket activates; empty for a template,
	// whose instances activate the service instance of the same name.
	Service string
}

func newSocketView(s *spec.Spec) *socketView {
	q := newQuoter(s)
	v := &socketView{Name: s.Name, Description: q.text(s.Description), Documentation: documentation(q, s)}
	if !s.IsTemplate() {
		v.Service = s.Name + ".service"
	}
	for _, l := range s.Listen {
		v.Listen = append(v.Listen, q.text(l.BindStream()))
		if l.Network == spec.NetworkUnix {
			v.SocketMode = "0660"
			v.SocketUser, v.SocketGroup = s.User, s.Group
		}
	}
	return v
}

// documentation returns the Documentation= values: the spec's list, or
// when it has none (nil) the homepage, unless the homepage holds
// characters systemd's word splitting would change.
func documentation(q quoter, s *spec.Spec) []string {
	if s.Documentation != nil {
		return escapeAll(q, s.Documentation)
	}
	if url := s.Package.Homepage; url != "" && plainURI(url) {
		return []string{q.text(url)}
	}
	return nil
}

// plainURI reports whether u is one word of printable UTF-8 text without
// quotes or backslashes, which Documentation= takes verbatim.
func plainURI(u string) bool {
	return u != "" && utf8.ValidString(u) && !strings.ContainsFunc(u, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`"'\`, r)
	})
}

// runPath maps the legacy /var/run prefix to /run, as systemd does itself
// (with a warning) for PIDFile=.
func runPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/var/run/"); ok {
		return "/run/" + rest
	}
	return p
}

// under reports whether p is one of dirs or inside one of them.
func under(p string, dirs ...string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func escapeAll(q quoter, list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, q.text(s))
	}
	return out
}
