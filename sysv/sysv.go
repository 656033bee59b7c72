package sysv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/templates"
)

// ErrUnsafe reports a spec value that the generator refuses to put into a
// shell script: it could not be represented safely, or the script could not
// honour it. Script and Files wrap it with the field and the reason.
var ErrUnsafe = errors.New("sysv: unsafe value")

// ErrTemplate reports a template service (a name ending in "@"): SysV init
// has no instances, so no init script is generated for it. Callers that
// generate for every service of a package skip it (AllFiles does).
var ErrTemplate = errors.New("sysv: no init script for a template service")

// templateName is the template the script is rendered from, in templates.FS.
const templateName = "sysv-script.tmpl"

// startWait is how long start waits at most for the program to run
// (simple, exec), to report readiness (notify, where start-stop-daemon can
// listen) or to write its pidfile (forking); a program that dies is noticed
// at once.
const startWait = 60 * time.Second

// Generator renders LSB init scripts. The zero value is not usable; call New.
// A Generator is safe for concurrent use.
type Generator struct {
	tmpl *template.Template
}

// New parses the embedded templates once. It fails only when the embedded
// templates are broken.
func New() (*Generator, error) {
	funcs := sprig.TxtFuncMap()
	funcs["sq"] = shellQuote
	funcs["literal"] = literal
	t, err := template.New(templateName).Funcs(funcs).Option("missingkey=error").ParseFS(templates.FS, templateName)
	if err != nil {
		return nil, fmt.Errorf("sysv: parse templates: %w", err)
	}
	return &Generator{tmpl: t}, nil
}

// Script writes the LSB init script for s to w. It checks the values that
// reach the script once more (s normally comes from spec.Config.Build) and
// returns an error wrapping ErrUnsafe for one it cannot represent safely;
// nothing is written then. Write errors come back wrapped.
func (g *Generator) Script(w io.Writer, s *spec.Spec) error {
	data, err := g.render(s)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("sysv: write script: %w", err)
	}
	return nil
}

// Files returns the init script as one file named after the service, mode
// 0755, for atomicfile.WriteAll. Errors are Script's; a template service
// gives an error wrapping ErrTemplate.
func (g *Generator) Files(s *spec.Spec) ([]atomicfile.File, error) {
	data, err := g.render(s)
	if err != nil {
		return nil, err
	}
	return []atomicfile.File{{Name: s.Name, Mode: 0o755, Data: data}}, nil
}

// AllFiles returns the init scripts of every service of s's package
// (s.All()) that is not a template, in that order, as Files names them.
// Nothing is returned when one of them fails.
func (g *Generator) AllFiles(s *spec.Spec) ([]atomicfile.File, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no spec", ErrUnsafe)
	}
	var files []atomicfile.File
	for _, svc := range s.All() {
		if svc == nil {
			return nil, fmt.Errorf("%w: no spec among the services of %s", ErrUnsafe, s.Name)
		}
		if svc.IsTemplate() {
			continue
		}
		f, err := g.Files(svc)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	return files, nil
}

func (g *Generator) render(s *spec.Spec) ([]byte, error) {
	v, err := newView(s)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := g.tmpl.ExecuteTemplate(&buf, templateName, v); err != nil {
		return nil, fmt.Errorf("sysv: render %s: %w", s.Name, err)
	}
	return buf.Bytes(), nil
}

// view is what the template sees. String fields are raw; the template quotes
// each one with sq, except Name and Description in the header comment, which
// newView checked to be one printable line.
type view struct {
	Name             string
	Description      string
	RequiredStart    string // LSB facilities, space separated; never empty
	ShouldStart      string // LSB facilities, space separated; may be empty
	Exec             string
	Args             []string
	PIDFile          string
	EnvironmentFile  string
	WorkingDirectory string
	User             string // empty: run as the caller (root)
	Group            string // with no User: run as root with this group
	Forking          bool
	StopTimeout      int // whole seconds, 1 to maxStopSeconds
	Notify           bool
	StartWait        int // whole seconds
	ReloadSignal     string
	Environment      []spec.EnvVar
	Limits           []ulimit
	Unapplied        []string // limit names with no portable ulimit flag

	// Spec v2 (issue 8); the zero values render the script as before.
	Aliases       []string    // further LSB Provides: names
	Documentation []string    // header comment lines; one printable line each
	ArgsFromEnv   []string    // variable names whose words follow the args
	Directories   []directory // created before start
	Caps          bool        // start through setpriv for capabilities
	Bounding      string      // setpriv --bounding-set value; "" for none
	Ambient       string      // setpriv --inh-caps/--ambient-caps value; "" for none
	UMask         string      // the program's umask, octal
	ReloadNone    bool        // reload exits 3 with a message, force-reload restarts
	ExecReload    []string    // the reload command; nil for none
	ExecStartPre  [][]string  // checks before start, reload and restart
	StopInfinite  bool        // stop waits with no limit
	NoKill        bool        // no KILL after the stop timeout: stop fails instead
	KillGroup     string      // "", "control-group" or "mixed"
	// GroupLeftovers: stop looks for what is left of the group once the
	// program is gone (control-group, or mixed with KILL).
	GroupLeftovers bool
}

// directory is one directory the script creates before start.
type directory struct {
	Base  string // root's: /run, /var/lib, ...
	Name  string // below Base
	Mode  string // four octal digits
	Owner string // "account" (the service's user and group) or "root"
}

// ulimit is one limit in the units of the shell's ulimit builtin.
type ulimit struct {
	Flag       string // e.g. "-n"
	Soft, Hard string // numbers or "unlimited"
	NProc      bool   // needs the -u/-p fallback
}

// shellSpecialEnv are variable names that dash, bash or busybox sh set,
// keep read-only or change on their own, so that exporting them from the
// script would not reach the program unchanged.
var shellSpecialEnv = []string{
	"_", "BASHOPTS", "BASHPID", "BASH_ENV", "CDPATH", "ENV", "EUID", "FUNCNAME",
	"GROUPS", "HISTCMD", "IFS", "LINENO", "OLDPWD", "OPTARG", "OPTIND", "PPID",
	"PS1", "PS2", "PS3", "PS4", "PWD", "RANDOM", "SECONDS", "SHELLOPTS", "SHLVL", "UID",
}

// limitUnits is the size of one ulimit unit in bytes for the size limits:
// dash, busybox sh and bash in POSIX mode (bash as /bin/sh) count -c and -f
// in 512-byte blocks and -d, -s, -v in KiB.
var limitUnits = map[string]uint64{"core": 512, "fsize": 512, "data": 1024, "stack": 1024, "as": 1024}

func unsafe(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnsafe, field, fmt.Sprintf(format, args...))
}

// newView checks what reaches the script and prepares the template data.
func newView(s *spec.Spec) (*view, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no spec", ErrUnsafe)
	}
	if s.IsTemplate() {
		return nil, fmt.Errorf("%w: %s", ErrTemplate, s.Name)
	}
	// The rules are spec's (a Spec from spec.Config.Build passes them);
	// they are applied again for a Spec built by hand.
	if !spec.ValidName(s.Name) {
		return nil, unsafe("name", "%q must match [a-z0-9][a-z0-9._-]*", s.Name)
	}
	if !spec.ValidDescription(s.Description) {
		return nil, unsafe("description", "must be one line of printable text (spec.ValidDescription)")
	}
	paths := []struct{ field, value string }{
		{"exec", s.Exec}, {"pidfile", s.PIDFile},
		{"environment_file", s.EnvironmentFile}, {"working_directory", s.WorkingDirectory},
	}
	for _, p := range paths {
		if !spec.ValidPath(p.value) {
			return nil, unsafe(p.field, "%q must be a clean absolute path without white space or special characters", p.value)
		}
	}
	if path.Dir(s.PIDFile) == "/" { // the script creates the pidfile's directory
		return nil, unsafe("pidfile", "%q must be inside a directory", s.PIDFile)
	}
	for i, a := range s.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, unsafe(fmt.Sprintf("args[%d]", i), "must not contain a NUL byte")
		}
	}
	for _, acct := range []struct{ field, value string }{{"user", s.User}, {"group", s.Group}} {
		if acct.value != "" && !spec.ValidAccount(acct.value) {
			return nil, unsafe(acct.field, "%q is not an account name", acct.value)
		}
	}
	if s.User != "" && s.Group == "" { // spec.Config.Build defaults it to the user; never here
		return nil, unsafe("group", "must be set when user is")
	}
	if s.ReloadSignal != "" && !spec.ValidSignal(s.ReloadSignal) {
		return nil, unsafe("reload_signal", "%q is not one of %s", s.ReloadSignal, strings.Join(spec.Signals(), ", "))
	}
	if !s.Type.Valid() {
		return nil, unsafe("type", "%q is not simple, exec, notify or forking", s.Type)
	}
	for _, e := range s.Environment {
		field := "environment." + e.Name
		switch {
		case !spec.ValidEnvName(e.Name):
			return nil, unsafe(field, "variable names must match [A-Za-z_][A-Za-z0-9_]*")
		case slices.Contains(shellSpecialEnv, e.Name) || strings.HasPrefix(e.Name, "BASH"):
			return nil, unsafe(field, "%s is special to the shell and cannot be passed through an init script", e.Name)
		case strings.IndexByte(e.Value, 0) >= 0:
			return nil, unsafe(field, "must not contain a NUL byte")
		}
	}
	if s.StopTimeout <= 0 {
		return nil, unsafe("stop_timeout", "must be greater than 0")
	}
	v := &view{
		Name:             s.Name,
		Description:      s.Description,
		Exec:             s.Exec,
		Args:             s.Args,
		PIDFile:          s.PIDFile,
		EnvironmentFile:  s.EnvironmentFile,
		WorkingDirectory: s.WorkingDirectory,
		User:             s.User,
		Group:            s.Group,
		Forking:          s.Type == spec.TypeForking,
		StopTimeout:      stopSeconds(s.StopTimeout),
		Notify:           s.Type == spec.TypeNotify,
		StartWait:        int(startWait / time.Second),
		ReloadSignal:     s.ReloadSignal,
		Environment:      s.Environment,
	}
	if err := v2View(v, s); err != nil {
		return nil, err
	}
	v.RequiredStart, v.ShouldStart = facilities(s)
	for _, l := range s.Limits {
		u, ok, err := toUlimit(l)
		if err != nil {
			return nil, err
		}
		if !ok {
			v.Unapplied = append(v.Unapplied, l.Name)
			continue
		}
		v.Limits = append(v.Limits, u)
	}
	return v, nil
}

// maxStopSeconds caps the stop timeout in the script: the script waits in
// tenths of a second, and STOP_TIMEOUT*10 must fit the 32-bit arithmetic
// of some shells and start-stop-daemon's --retry (an int). That is about
// 6.8 years, longer than any real wait.
const maxStopSeconds = (1<<31 - 1) / 10

// stopSeconds rounds d (> 0) up to whole seconds, saturating at
// maxStopSeconds instead of overflowing.
func stopSeconds(d time.Duration) int {
	if d >= maxStopSeconds*time.Second {
		return maxStopSeconds
	}
	return int((d + time.Second - 1) / time.Second)
}

// literal reports whether a value (a string or a []string) holds a $ or a
// backquote, which shellcheck flags inside single quotes (SC2016) although
// the script means them literally.
func literal(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsAny(v, "$`")
	case []string:
		return slices.ContainsFunc(v, func(s string) bool { return strings.ContainsAny(s, "$`") })
	default:
		return false
	}
}

// toUlimit converts a limit to the shell's units; ok is false when no
// portable ulimit flag exists for it.
func toUlimit(l spec.Limit) (ulimit, bool, error) {
	field := "limits." + l.Name
	flag := l.UlimitFlag()
	if flag == "" {
		return ulimit{}, false, nil
	}
	u := ulimit{Flag: flag, NProc: l.Name == "nproc"}
	if u.NProc {
		u.Flag = "-u"
	}
	soft, hard := l.Soft(), l.Hard()
	if !l.WellFormed() {
		return ulimit{}, false, unsafe(field, "%q must be a number, infinity, or SOFT:HARD", l.Value)
	}
	if !l.Ordered() {
		return ulimit{}, false, unsafe(field, "soft limit %s exceeds hard limit %s", soft, hard)
	}
	unit := limitUnits[l.Name]
	if unit == 0 {
		unit = 1
	}
	u.Soft, u.Hard = shellLimit(soft, unit), shellLimit(hard, unit)
	return u, true, nil
}

// shellLimit renders a value for ulimit: "unlimited", or the value in
// units, rounded down.
func shellLimit(v string, unit uint64) string {
	n := spec.LimitNumber(v)
	if n == math.MaxUint64 {
		return "unlimited"
	}
	return strconv.FormatUint(n/unit, 10)
}
