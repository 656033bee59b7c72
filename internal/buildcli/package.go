package buildcli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
	"github.com/daemonctl/daemonctl/sysv"
)

type packageOptions struct {
	file    string
	format  string
	outDir  string
	noStrip bool
	signKey string
}

func newPackageCmd(stdio cli.Stdio) *cobra.Command {
	var opts packageOptions
	cmd := &cobra.Command{
		Use:   "package -f daemon.yaml [--format deb|rpm|all] [-o DIR]",
		Short: "Build .deb and .rpm packages of the service",
		Long: `package builds distribution packages from daemon.yaml: the files listed under
package.files, the systemd unit (and socket), the LSB init script, the
environment file as a configuration file, a sysusers.d entry for the account,
copyright and changelog, and maintainer scripts that create the account,
enable and start the service on installation, restart it on upgrade, stop
and disable it on removal.

The packages are named <name>_<version>-<release>_<arch>.deb and
<name>-<version>-<release>.<rpmarch>.rpm. --format defaults to all (both).
Files are dated SOURCE_DATE_EPOCH when set, else the spec file's
modification time, so that a rebuild of the same input is byte-identical.
ELF programs with symbols are packaged stripped (with strip from binutils).
Nothing is written unless every requested package was built.`,
		Example: `  daemonctl package -f daemon.yaml
  daemonctl package -f daemon.yaml --format deb -o dist/
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) daemonctl package -f daemon.yaml`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.file == "" {
				return &cli.UsageError{Err: errors.New("package: -f daemon.yaml is required")}
			}
			formats, err := packaging.ParseFormat(opts.format)
			if err != nil {
				return &cli.UsageError{Err: fmt.Errorf("package: --format: %w", err)}
			}
			return runPackage(cmd, &opts, formats, stdio)
		},
	}
	cmd.Flags().StringVarP(&opts.file, "file", "f", "", "spec file (daemon.yaml)")
	cmd.Flags().StringVar(&opts.format, "format", "all", "package format: deb, rpm or all")
	cmd.Flags().StringVarP(&opts.outDir, "output", "o", ".", "directory to write the packages into")
	cmd.Flags().BoolVar(&opts.noStrip, "no-strip", false, "ship ELF programs as they are, symbols included")
	cmd.Flags().StringVar(&opts.signKey, "sign-key", "", "OpenPGP private key file to sign the packages with (passphrase from DAEMONCTL_SIGN_PASSPHRASE)")
	return cmd
}

func runPackage(cmd *cobra.Command, opts *packageOptions, formats []packaging.Format, stdio cli.Stdio) error {
	s, err := spec.Load(opts.file)
	if err != nil {
		return err
	}
	if err := s.CheckPackage(); err != nil {
		return err
	}
	units, err := systemd.New()
	if err != nil {
		return err
	}
	scripts, err := sysv.New()
	if err != nil {
		return err
	}
	b, err := packaging.New(packaging.Generators{Systemd: units, SysV: scripts})
	if err != nil {
		return err
	}
	po := packaging.Options{Dir: opts.outDir, Formats: formats, NoStrip: opts.noStrip, Warn: stdio.Err}
	if opts.signKey != "" {
		po.Signer = &packaging.Signer{KeyFile: opts.signKey, Passphrase: os.Getenv("DAEMONCTL_SIGN_PASSPHRASE")}
	}
	arts, err := b.Build(cmd.Context(), s, po)
	if err != nil {
		return locate(s, err)
	}
	for _, a := range arts {
		fmt.Fprintln(stdio.Out, a.Path)
	}
	return nil
}

// locate turns a packaging error about a spec field (an unreadable
// package file) into a spec.Errors located from the positions the spec
// kept, so that it prints as "file:line: field: reason" and exits 2 like
// any other spec problem. Packaging's own spec.Errors carry their lines
// already.
func locate(s *spec.Spec, err error) error {
	var mf *packaging.MissingFileError
	if errors.As(err, &mf) {
		return spec.Errors{s.FieldError(mf.Field, fmt.Sprintf("cannot read %s: %v", mf.Path, mf.Err))}
	}
	return err
}
