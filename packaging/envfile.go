package packaging

import (
	"fmt"
	"path"

	"github.com/daemonctl/daemonctl/spec"
)

// envFile is one environment file the package generates, shared by every
// service whose EnvironmentFile it is; it feeds pkg-defaults.tmpl.
type envFile struct {
	Path       string   // absolute path on the target
	Field      string   // spec field naming it, for errors: environment_file, services[i].environment_file
	Package    string   // package name
	Name       string   // the first service reading it
	InitScript string   // that service's init script (Debian path); "" for a template
	Single     bool     // read by one non-template service only
	Services   []string // every service reading it, in spec order
	// Environment are the services' compiled-in variables, shown as
	// comments; ArgsFromEnv are set as active lines, each name once.
	Environment []spec.EnvVar
	ArgsFromEnv []spec.EnvVar
}

// environmentFiles groups the services of s by environment file, in
// s.All() order.
func environmentFiles(s *spec.Spec) []envFile {
	var out []envFile
	for i, svc := range s.All() {
		j := -1
		for k := range out {
			if out[k].Path == svc.EnvironmentFile {
				j = k
			}
		}
		if j < 0 {
			field := "environment_file"
			if i > 0 {
				field = fmt.Sprintf("services[%d].environment_file", i-1)
			}
			e := envFile{Path: svc.EnvironmentFile, Field: field, Package: s.Name, Name: svc.Name}
			if !svc.IsTemplate() {
				e.InitScript = path.Join(debInitDir, svc.Name)
			}
			out = append(out, e)
			j = len(out) - 1
		}
		e := &out[j]
		e.Services = append(e.Services, svc.Name)
		e.Environment = append(e.Environment, svc.Environment...)
	args:
		for _, v := range svc.ArgsFromEnv {
			for _, w := range e.ArgsFromEnv {
				if w.Name == v.Name { // spec refuses two defaults for one file
					continue args
				}
			}
			e.ArgsFromEnv = append(e.ArgsFromEnv, v)
		}
	}
	for k := range out {
		out[k].Single = len(out[k].Services) == 1 && out[k].InitScript != ""
	}
	return out
}
