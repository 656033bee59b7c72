package buildcli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/internal/lint"
	"github.com/daemonctl/daemonctl/spec"
)

// specFlags selects a spec: a file (-f) or a few flags for a spec-less service.
type specFlags struct {
	file        string
	name        string
	exec        string
	serviceType string
	user        string
	group       string
	description string
	args        []string
}

func (f *specFlags) register(cmd *cobra.Command, withInline bool) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "spec file (daemon.yaml)")
	if !withInline {
		return
	}
	cmd.Flags().StringVar(&f.name, "name", "", "service name, when no spec file is given")
	cmd.Flags().StringVar(&f.exec, "exec", "", "absolute path of the program, when no spec file is given")
	cmd.Flags().StringVar(&f.serviceType, "type", "", "service type: simple, exec, notify, forking")
	cmd.Flags().StringVar(&f.user, "user", "", "account to run as")
	cmd.Flags().StringVar(&f.group, "group", "", "group to run as (default: the user's)")
	cmd.Flags().StringVar(&f.description, "description", "", "one-line description")
}

// load returns the spec from the file or from the inline flags.
func (f *specFlags) load() (*spec.Spec, error) {
	inline := f.name != "" || f.exec != "" || f.serviceType != "" || f.user != "" || f.group != "" || f.description != ""
	switch {
	case f.file != "" && (inline || len(f.args) > 0):
		return nil, &cli.UsageError{Err: errors.New("give either -f FILE or --name/--exec/-- ARGS, not both")}
	case f.file != "":
		return spec.Load(f.file)
	case !inline:
		return nil, &cli.UsageError{Err: errors.New("no spec: give -f daemon.yaml, or --name and --exec")}
	}
	cfg := &spec.Config{
		Name:        f.name,
		Exec:        f.exec,
		Type:        f.serviceType,
		User:        f.user,
		Group:       f.group,
		Description: f.description,
		Args:        f.args,
	}
	return cfg.Build()
}

type genOptions struct {
	spec    specFlags
	outDir  string
	target  string // "systemd" or "sysv"
	service string // the service printed to stdout; "" means the spec's first
}

func newGenCmd(stdio cli.Stdio) *cobra.Command {
	gen := &cobra.Command{
		Use:   "gen",
		Short: "Generate a systemd unit or an LSB init script",
		Args:  cli.NoArgs,
	}
	for _, target := range []struct{ name, short, example string }{
		{"systemd", "Generate <name>.service (and <name>.socket when listen is set) for each service of the spec",
			`  daemonctl gen systemd -f daemon.yaml
  daemonctl gen systemd -f daemon.yaml --service worker
  daemonctl gen systemd -f daemon.yaml -o /etc/systemd/system
  daemonctl gen systemd --name web --exec /usr/bin/web --type notify --user web -- --port 8080`},
		{"sysv", "Generate an LSB init script for /etc/init.d for each service of the spec that is not a template",
			`  daemonctl gen sysv -f daemon.yaml
  daemonctl gen sysv -f daemon.yaml -o /etc/init.d
  daemonctl gen sysv --name web --exec /usr/bin/web -- --port 8080`},
	} {
		opts := &genOptions{target: target.name}
		cmd := &cobra.Command{
			Use:     target.name + " (-f daemon.yaml [--service NAME] | --name N --exec PATH [-- ARGS...]) [-o DIR]",
			Short:   target.short,
			Example: target.example,
			RunE: func(cmd *cobra.Command, args []string) error {
				if cmd.ArgsLenAtDash() < 0 && len(args) > 0 {
					return &cli.UsageError{Err: fmt.Errorf("unexpected argument %q (program arguments go after --)", args[0])}
				}
				opts.spec.args = args
				return runGen(opts, stdio)
			},
		}
		opts.spec.register(cmd, true)
		cmd.Flags().StringVarP(&opts.outDir, "output", "o", "", "write the files of every service into DIR (atomically) instead of printing them")
		cmd.Flags().StringVar(&opts.service, "service", "", "print the files of this service of the spec (default: the first)")
		gen.AddCommand(cmd)
	}
	return gen
}

func runGen(opts *genOptions, stdio cli.Stdio) error {
	s, err := opts.spec.load()
	if err != nil {
		return err
	}
	target := lint.Systemd
	if opts.target == "sysv" {
		target = lint.SysV
	}
	if opts.outDir != "" && opts.service != "" {
		return &cli.UsageError{Err: errors.New("--service selects what is printed; -o writes every service")}
	}
	svc, err := pickService(s, opts.service)
	if err != nil {
		return err
	}
	if opts.outDir == "" && target == lint.SysV && svc.IsTemplate() {
		return &cli.ExitError{Code: cli.ExitUsage, Err: fmt.Errorf("gen sysv: %s is a template service: it has no init script (systemd starts its instances as %sINSTANCE)", svc.Name, svc.Name)}
	}
	services, err := lint.Render(s, target)
	if err != nil {
		return err
	}
	if opts.outDir != "" {
		files := lint.Files(services)
		if len(files) == 0 {
			return &cli.ExitError{Code: cli.ExitUsage, Err: fmt.Errorf("gen %s: every service of the spec is a template service, which has no init script", opts.target)}
		}
		return atomicfile.WriteAll(opts.outDir, files)
	}
	for _, sv := range services {
		if sv.Spec == svc {
			return printFiles(stdio.Out, lint.Files([]lint.Service{sv}))
		}
	}
	return fmt.Errorf("gen %s: service %s was not rendered", opts.target, svc.Name)
}

// pickService returns the service of s named name, or s itself when name
// is empty.
func pickService(s *spec.Spec, name string) (*spec.Spec, error) {
	if name == "" {
		return s, nil
	}
	var names []string
	for _, svc := range s.All() {
		if svc.Name == name {
			return svc, nil
		}
		names = append(names, svc.Name)
	}
	return nil, &cli.ExitError{Code: cli.ExitUsage, Err: fmt.Errorf("--service %q: the spec has no such service (it has %s)", name, strings.Join(names, ", "))}
}

// printFiles writes the files one after the other, separated by a blank
// line; each generated file starts with a comment naming itself.
func printFiles(w io.Writer, files []atomicfile.File) error {
	var buf bytes.Buffer
	for i, f := range files {
		if i > 0 {
			buf.WriteString("\n")
		}
		buf.Write(f.Data)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
