package buildcli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/internal/lint"
)

type lintOptions struct {
	spec  specFlags
	tools lint.Tools
}

func newLintCmd(stdio cli.Stdio) *cobra.Command {
	opts := &lintOptions{tools: lint.SystemTools()}
	cmd := &cobra.Command{
		Use:   "lint -f daemon.yaml",
		Short: "Validate a spec and judge the files generated from it",
		Long: `lint validates the spec, renders the systemd units and init scripts of every
service in it, and judges them. It prints one line per finding,

  file:line: field: severity: message

on the spec's own line: the systemd-analyze security score of each service
unit (a note), sandbox settings known to break what the spec declares (a
listen address family left out of RestrictAddressFamilies, a pidfile or log
directory the sandbox makes read-only, a port below 1024 without
CAP_NET_BIND_SERVICE, /proc hidden from exporters), keys the init script
cannot honour ("no SysV equivalent"), and what systemd-analyze verify,
shellcheck and sh -n (dash, bash, busybox) report. A missing tool is a note.
A summary goes to standard error.

Exit status: 0 no errors (warnings and notes only), 2 the spec is invalid or
a finding is an error.`,
		Example: `  daemonctl lint -f daemon.yaml`,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLint(cmd.Context(), opts, stdio)
		},
	}
	opts.spec.register(cmd, false)
	return cmd
}

func runLint(ctx context.Context, opts *lintOptions, stdio cli.Stdio) error {
	if opts.spec.file == "" {
		return &cli.UsageError{Err: fmt.Errorf("lint: -f daemon.yaml is required")}
	}
	s, err := opts.spec.load()
	if err != nil {
		return err
	}
	services, err := lint.Render(s, lint.Systemd|lint.SysV)
	if err != nil {
		return err
	}
	result, err := lint.Check(ctx, s, services, opts.tools)
	if err != nil {
		return err
	}
	var out strings.Builder
	for _, f := range result.Findings {
		out.WriteString(f.String() + "\n")
	}
	if _, err := fmt.Fprint(stdio.Out, out.String()); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	errs, warns, notes := result.Count(lint.SeverityError), result.Count(lint.SeverityWarning), result.Count(lint.SeverityNote)
	summary := fmt.Sprintf("lint: %d error(s), %d warning(s), %d note(s); %d check(s) passed", errs, warns, notes, len(result.Checked))
	if errs > 0 {
		return &cli.ExitError{Code: cli.ExitUsage, Err: fmt.Errorf("%s", summary)}
	}
	_, err = fmt.Fprintln(stdio.Err, summary)
	return err
}
