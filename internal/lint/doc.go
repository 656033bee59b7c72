// Package lint judges what daemonctl generates from a spec: the score
// systemd-analyze security gives each service unit, the sandbox settings
// known to break something the spec declares (a listen address family, a
// path the service writes to, a privileged port, /proc readers), the keys
// an init script cannot honour, and the external checkers (systemd-analyze
// verify, shellcheck, sh -n) run over the rendered files.
//
// Every result is a Finding located on the spec's own line, printed as
// "file:line: field: severity: message". The package renders files (see
// Render) and runs checkers through a Tools value; it never writes outside
// the temporary directory Check makes.
//
//	services, err := lint.Render(s, lint.Systemd|lint.SysV)
//	result, err := lint.Check(ctx, s, services, lint.SystemTools())
//	for _, f := range result.Findings {
//		fmt.Println(f)
//	}
package lint
