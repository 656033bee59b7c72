package lint

import (
	"fmt"
	"strings"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
	"github.com/daemonctl/daemonctl/sysv"
)

// Severity is how much a Finding matters.
type Severity string

// The severities, from worst to mildest. Only SeverityError makes lint
// fail.
const (
	// SeverityError: the generated files are broken or the spec asks for
	// something that cannot work.
	SeverityError Severity = "error"
	// SeverityWarning: something the spec declares is known to break, or
	// a key has no effect on one of the init systems.
	SeverityWarning Severity = "warning"
	// SeverityNote: information (a score, a consequence worth knowing).
	SeverityNote Severity = "note"
)

// Finding is one judgement about a spec, located on the spec's line.
type Finding struct {
	File     string   // the spec file as given; empty when it came from flags
	Line     int      // 1-based line of Field in File; 0 when the field was not written there
	Field    string   // the spec field the finding is about, e.g. "listen[0]" or "services[1].hardening"
	Severity Severity // never empty
	Message  string   // lowercase, no trailing period; may quote the spec
}

// String formats f as "file:line: field: severity: message" on one line,
// escaped as spec errors are (no control byte of the spec or of a
// checker's output reaches the terminal).
func (f Finding) String() string {
	e := &spec.Error{File: f.File, Line: f.Line, Field: f.Field, Reason: string(f.Severity) + ": " + f.Message}
	return e.Error()
}

// Service is one service of a spec with the files rendered from it.
type Service struct {
	Spec *spec.Spec
	// Index is the service's position in s.All(): 0 for the spec itself,
	// i for s.Extra[i-1].
	Index int
	// Units are the systemd units: "<name>.service", then "<name>.socket"
	// when the service listens.
	Units []atomicfile.File
	// Script is the init script; nil for a template service, which has
	// none.
	Script *atomicfile.File
}

// Target selects the files Render renders.
type Target int

// The targets; combine them with |.
const (
	Systemd Target = 1 << iota // the systemd units
	SysV                       // the init scripts
)

// Render renders every service of s (s.All()): with Systemd the units of
// each, with SysV the init script of each service that is not a template.
// Errors are the generators' own.
func Render(s *spec.Spec, targets Target) ([]Service, error) {
	services := make([]Service, len(s.All()))
	for i, svc := range s.All() {
		services[i] = Service{Spec: svc, Index: i}
	}
	if targets&Systemd != 0 {
		units, err := systemd.New()
		if err != nil {
			return nil, err
		}
		if err := split(s, services, units.Files, false); err != nil {
			return nil, err
		}
	}
	if targets&SysV != 0 {
		scripts, err := sysv.New()
		if err != nil {
			return nil, err
		}
		if err := split(s, services, scripts.Files, true); err != nil {
			return nil, err
		}
	}
	return services, nil
}

// split gives each service the files render makes for it. render may
// render only the spec it is given or every service of its package (as
// systemd.Generator.Files does): it runs on the whole spec first, then on
// each service whose files were not among those. noTemplates leaves
// template services out (no init script).
func split(s *spec.Spec, services []Service, render func(*spec.Spec) ([]atomicfile.File, error), noTemplates bool) error {
	var all []atomicfile.File
	if !noTemplates || !s.IsTemplate() {
		files, err := render(s)
		if err != nil {
			return err
		}
		all = files
	}
	for i := range services {
		svc := services[i].Spec
		if noTemplates && svc.IsTemplate() {
			continue
		}
		mine := filesOf(svc, all)
		if len(mine) == 0 {
			files, err := render(svc)
			if err != nil {
				return err
			}
			mine = filesOf(svc, files)
		}
		if len(mine) == 0 {
			return fmt.Errorf("lint: no file rendered for service %s", svc.Name)
		}
		for _, f := range mine {
			if strings.HasSuffix(f.Name, ".service") || strings.HasSuffix(f.Name, ".socket") {
				services[i].Units = append(services[i].Units, f)
			} else {
				services[i].Script = &f
			}
		}
	}
	return nil
}

// filesOf picks the files of svc: NAME, NAME.service, NAME.socket.
func filesOf(svc *spec.Spec, files []atomicfile.File) []atomicfile.File {
	var out []atomicfile.File
	for _, f := range files {
		if f.Name == svc.Name || f.Name == svc.Name+".service" || f.Name == svc.Name+".socket" {
			out = append(out, f)
		}
	}
	return out
}

// Files returns the rendered files of every service, units then script
// for each service in turn: what gen -o writes.
func Files(services []Service) []atomicfile.File {
	var out []atomicfile.File
	for _, sv := range services {
		out = append(out, sv.Units...)
		if sv.Script != nil {
			out = append(out, *sv.Script)
		}
	}
	return out
}

// Field returns the path of key in the spec file for this service: key
// itself for the spec's own service, "services[i].key" for a further one.
func (sv Service) Field(key string) string {
	if sv.Index == 0 {
		return key
	}
	return fmt.Sprintf("services[%d].%s", sv.Index-1, key)
}

// finding builds a Finding about key of this service. root is the spec
// file's top Spec: a further service's line is looked up on itself, then
// under its services[i] path of the root.
func (sv Service) finding(root *spec.Spec, key string, sev Severity, format string, args ...any) Finding {
	line := sv.Spec.Line(key)
	if sv.Index > 0 {
		if l := root.Line(sv.Field(key)); l > 0 {
			line = l
		}
	}
	return Finding{File: root.Source, Line: line, Field: sv.Field(key), Severity: sev, Message: fmt.Sprintf(format, args...)}
}

// set reports whether the top-level key was written in the spec file for
// this service (a default is not). Line falls back to the enclosing key,
// so for a further service a key is written when its line differs from
// the line of the service's own list item.
func (sv Service) set(root *spec.Spec, key string) bool {
	if sv.Index == 0 {
		return root.Line(key) > 0
	}
	l := root.Line(sv.Field(key))
	return l > 0 && l != root.Line(fmt.Sprintf("services[%d]", sv.Index-1))
}
