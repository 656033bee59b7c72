package buildcli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/spec"
)

// Main runs the whole daemonctl command line with the build commands
// implemented in this process, and returns the exit code.
func Main(ctx context.Context, args []string, stdio cli.Stdio) int {
	return cli.Execute(ctx, args, stdio, Commands()...)
}

// Commands returns gen, lint and package.
func Commands() []cli.CommandFactory {
	out := []cli.CommandFactory{}
	for _, f := range []cli.CommandFactory{newGenCmd, newLintCmd, newPackageCmd} {
		out = append(out, func(stdio cli.Stdio) *cobra.Command {
			cmd := f(stdio)
			specErrorsAreUsage(cmd)
			return cmd
		})
	}
	return out
}

// specErrorsAreUsage makes a bad spec exit with cli.ExitUsage, in cmd and
// every subcommand: its message already names file, line and field.
func specErrorsAreUsage(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			err := run(c, args)
			var specErrs spec.Errors
			if errors.As(err, &specErrs) {
				return &cli.ExitError{Code: cli.ExitUsage, Err: err}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		specErrorsAreUsage(sub)
	}
}
