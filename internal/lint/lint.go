package lint

import (
	"fmt"

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
// each (systemd.Generator.Files), with SysV the init script of each
// service that is not a template (sysv.Generator.AllFiles). Errors are the
// generators' own; nothing is returned on error.
func Render(s *spec.Spec, targets Target) ([]Service, error) {
	var files []atomicfile.File
	if targets&Systemd != 0 {
		units, err := systemd.New()
		if err != nil {
			return nil, err
		}
		if files, err = units.Files(s); err != nil {
			return nil, err
		}
	}
	if targets&SysV != 0 {
		scripts, err := sysv.New()
		if err != nil {
			return nil, err
		}
		f, err := scripts.AllFiles(s)
		if err != nil {
			return nil, err
		}
		files = append(files, f...)
	}
	services := make([]Service, len(s.All()))
	for i, svc := range s.All() {
		services[i] = Service{Spec: svc, Index: i}
		for _, f := range filesOf(svc, files) {
			if f.Name == svc.Name {
				services[i].Script = &f
			} else {
				services[i].Units = append(services[i].Units, f)
			}
		}
		if targets&Systemd != 0 && len(services[i].Units) == 0 {
			return nil, fmt.Errorf("lint: systemd rendered no unit for service %s", svc.Name)
		}
	}
	return services, nil
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
