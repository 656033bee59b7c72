package systemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"text/template"
	"time"
	"unicode"

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

// Files renders every unit s needs: "<name>.service" and, when s has
// listen addresses, "<name>.socket", both mode 0644. Errors are those of
// Service and Socket.
func (g *Generator) Files(s *spec.Spec) ([]atomicfile.File, error) {
	var svc bytes.Buffer
	if err := g.Service(&svc, s); err != nil {
		return nil, err
	}
	files := []atomicfile.File{{Name: s.Name + ".service", Mode: 0o644, Data: svc.Bytes()}}
	if len(s.Listen) > 0 {
		var sock bytes.Buffer
		if err := g.Socket(&sock, s); err != nil {
			return nil, err
		}
		files = append(files, atomicfile.File{Name: s.Name + ".socket", Mode: 0o644, Data: sock.Bytes()})
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
	ExecStart          string
	ExecReload         string
	Restart            string
	RestartSec         string
	TimeoutStopSec     string
	WatchdogSec        string
	Limits             []limitView
	RuntimeDirectory   string
	// RuntimeDirectoryPreserve is "yes" when a socket unit keeps a Unix
	// socket inside the runtime directory, which systemd would otherwise
	// delete with the directory whenever the service stops.
	RuntimeDirectoryPreserve string
	Documentation            string
	Socket                   string
	Hardening                hardeningView
}

// limitView is one Limit*= line.
type limitView struct {
	Directive string
	Value     string
}

// hardeningView drives the sandboxing block of the service template.
type hardeningView struct {
	Level           string // off, default or strict
	Default         bool   // level default or strict
	Strict          bool   // level strict
	NonRoot         bool   // the service runs as an account other than root
	ProtectHome     string // "yes", or "read-only" when the service's paths are under /home, /root or /run/user
	PrivateTmp      bool   // false when the service's paths are under /tmp or /var/tmp
	StateDirectory  string
	LogsDirectory   string
	ReadWritePaths  []string // "-"-prefixed, so a missing directory is not an error
	AddressFamilies string
	// RootDeniedCapabilities are the capabilities a root service loses at
	// level default: administration of the host, kernel, devices and
	// other users' processes, none of which a network daemon needs.
	RootDeniedCapabilities string
}

// Settings the service unit always uses.
const (
	startLimitBurst       = 5
	minStartLimitInterval = time.Minute
)

func newServiceView(s *spec.Spec) (*serviceView, error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	v := &serviceView{
		Name:               s.Name,
		Description:        escapeSpecifiers(s.Description),
		After:              escapeAll(s.After),
		Wants:              escapeAll(s.Wants),
		Requires:           escapeAll(s.Requires),
		StartLimitInterval: formatDuration(max(minStartLimitInterval, scaleDuration(s.RestartDelay, 10))),
		StartLimitBurst:    startLimitBurst,
		Type:               string(s.Type),
		User:               s.User,
		Group:              s.Group,
		WorkingDirectory:   escapeSpecifiers(s.WorkingDirectory),
		EnvironmentFile:    "-" + escapeSpecifiers(s.EnvironmentFile),
		ExecStart:          execLine(s.Exec, s.Args),
		ExecReload:         "/bin/kill -" + s.ReloadSignal + " $MAINPID",
		Restart:            string(s.Restart),
		RestartSec:         formatDuration(s.RestartDelay),
		TimeoutStopSec:     formatDuration(s.StopTimeout),
	}
	if s.Type == spec.TypeNotify {
		v.NotifyAccess = "main"
	}
	if s.WatchdogTimeout > 0 {
		v.WatchdogSec = formatDuration(s.WatchdogTimeout)
	}
	pidfile := runPath(s.PIDFile)
	if s.Type == spec.TypeForking {
		v.PIDFile = escapeSpecifiers(pidfile)
	}
	// Only the service's own directory may be RuntimeDirectory=: systemd
	// creates it, chowns it to User= and deletes it when the service
	// stops, which would wreck a shared one such as /run/lock.
	runDir := s.RuntimeDirectory()
	if rel, ok := strings.CutPrefix(runDir, "/run/"); ok {
		v.RuntimeDirectory = escapeSpecifiers(rel)
		for _, l := range s.Listen {
			if l.Network == spec.NetworkUnix && under(l.Path, runDir) {
				v.RuntimeDirectoryPreserve = "yes"
			}
		}
	}
	v.Documentation = documentation(s.Package.Homepage)
	for _, e := range s.Environment {
		v.Environment = append(v.Environment, envAssignment(e.Name, e.Value))
	}
	for _, l := range s.Limits {
		v.Limits = append(v.Limits, limitView{Directive: l.Directive(), Value: l.Soft() + ":" + l.Hard()})
	}
	if len(s.Listen) > 0 {
		v.Socket = s.Name + ".socket"
	}
	v.Hardening = newHardeningView(s, path.Dir(pidfile), runDir != "")
	return v, nil
}

// newHardeningView decides the sandbox details that depend on the spec.
// pidDir is the pidfile's directory; ownRunDir says it is the service's
// RuntimeDirectory=, which systemd makes writable itself.
func newHardeningView(s *spec.Spec, pidDir string, ownRunDir bool) hardeningView {
	h := hardeningView{
		Level:           string(s.Hardening),
		Default:         s.Hardening == spec.HardeningDefault || s.Hardening == spec.HardeningStrict,
		Strict:          s.Hardening == spec.HardeningStrict,
		NonRoot:         s.User != "" && s.User != "root",
		ProtectHome:     "yes",
		PrivateTmp:      true,
		StateDirectory:  s.Name,
		LogsDirectory:   s.Name,
		AddressFamilies: "AF_UNIX AF_INET AF_INET6",
		RootDeniedCapabilities: strings.Join([]string{
			"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE", "CAP_BLOCK_SUSPEND", "CAP_BPF",
			"CAP_CHECKPOINT_RESTORE", "CAP_IPC_LOCK", "CAP_LEASE", "CAP_LINUX_IMMUTABLE",
			"CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_MKNOD", "CAP_NET_ADMIN", "CAP_NET_RAW",
			"CAP_PERFMON", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_SYS_NICE",
			"CAP_SYS_PACCT", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
			"CAP_SYS_TTY_CONFIG", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		}, " "),
	}
	paths := []string{s.Exec, s.WorkingDirectory, s.PIDFile, s.EnvironmentFile}
	for _, p := range paths {
		if under(p, "/home", "/root", "/run/user") {
			h.ProtectHome = "read-only"
		}
		if under(p, "/tmp", "/var/tmp") {
			h.PrivateTmp = false
		}
	}
	if !h.Strict {
		// Listing interfaces (getifaddrs, Go's net.Interfaces) needs
		// netlink; only strict assumes the daemon never does.
		h.AddressFamilies += " AF_NETLINK"
	}
	if !ownRunDir && pidDir != "/run" {
		h.ReadWritePaths = append(h.ReadWritePaths, "-"+escapeSpecifiers(pidDir))
	}
	return h
}

// socketView is what systemd-socket.tmpl renders.
type socketView struct {
	Name          string
	Description   string
	Documentation string
	Listen        []string
	SocketUser    string // owner of unix sockets; empty for root
	SocketGroup   string
	SocketMode    string // mode of unix sockets; empty when there are none
}

func newSocketView(s *spec.Spec) *socketView {
	v := &socketView{Name: s.Name, Description: escapeSpecifiers(s.Description), Documentation: documentation(s.Package.Homepage)}
	for _, l := range s.Listen {
		v.Listen = append(v.Listen, escapeSpecifiers(l.BindStream()))
		if l.Network == spec.NetworkUnix {
			v.SocketMode = "0660"
			v.SocketUser, v.SocketGroup = s.User, s.Group
		}
	}
	return v
}

// documentation returns the homepage for Documentation=, or "" when there
// is none or it holds characters systemd's word splitting would change.
func documentation(url string) string {
	if url == "" || strings.ContainsFunc(url, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`"'\`, r)
	}) {
		return ""
	}
	return escapeSpecifiers(url)
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

func escapeAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, escapeSpecifiers(s))
	}
	return out
}
