package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/textesc"
)

// Stdio is the set of streams a command reads and writes.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// CommandFactory builds one subcommand writing to stdio.
type CommandFactory func(stdio Stdio) *cobra.Command

// Main runs daemonctl with args (without the program name) and returns the
// process exit code: the runtime commands run here, the build commands are
// handed to daemonctl-build. It never calls os.Exit.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	if opts, ok := parseRunFast(args); ok {
		return report(runRun(stdio, opts), stdio)
	}
	return Execute(ctx, args, stdio, Forwarded()...)
}

// Execute runs the root command with the runtime commands and the given
// build commands, and returns the process exit code.
func Execute(ctx context.Context, args []string, stdio Stdio, build ...CommandFactory) int {
	root := newRootCmd(stdio, build)
	root.SetArgs(args)
	return report(root.ExecuteContext(ctx), stdio)
}

// report prints a command's error the way every command does and returns
// the process exit code. Every line is escaped (textesc): an error quoting
// a path, a flag or a spec value cannot add lines or send terminal escapes.
func report(err error, stdio Stdio) int {
	code := exitCode(err)
	var exitErr *ExitError
	var usageErr *UsageError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		// Printed without a prefix: a bad spec's lines must read
		// file:line: field: reason.
		for _, line := range errorLines(err) {
			fmt.Fprintln(stdio.Err, line)
		}
	default:
		for _, line := range errorLines(err) {
			fmt.Fprintln(stdio.Err, "daemonctl: "+line)
		}
		if errors.As(err, &usageErr) {
			fmt.Fprintln(stdio.Err, "Run 'daemonctl --help' for usage.")
		}
	}
	return code
}

// errorLines returns the lines to print for err, each escaped: one line
// per error when err is only a list of errors (spec.Errors, errors.Join),
// else one line. It returns nothing for an empty message.
func errorLines(err error) []string {
	msg := strings.TrimSpace(err.Error())
	if msg == "" {
		return nil
	}
	var list interface {
		error
		Unwrap() []error
	}
	if !errors.As(err, &list) || strings.TrimSpace(list.Error()) != msg {
		return []string{textesc.Escape(msg)}
	}
	var lines []string
	for _, e := range list.Unwrap() {
		if e == nil {
			continue
		}
		if line := strings.TrimSpace(e.Error()); line != "" {
			lines = append(lines, textesc.Escape(line))
		}
	}
	return lines
}

func newRootCmd(stdio Stdio, build []CommandFactory) *cobra.Command {
	root := &cobra.Command{
		Use:   "daemonctl",
		Short: "Generate, package and run Linux daemons",
		Long: `daemonctl turns one daemon.yaml into a systemd unit, an LSB init script and
.deb/.rpm packages, and runs any program as a well-behaved classic daemon.`,
		Example: `  daemonctl gen systemd -f daemon.yaml
  daemonctl gen sysv -f daemon.yaml -o build/
  daemonctl package -f daemon.yaml --format all -o dist/
  daemonctl run --daemon --pidfile /run/app.pid -- /usr/bin/app --flag
  daemonctl status --pidfile /run/app.pid`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &UsageError{Err: fmt.Errorf("unknown command %q", args[0])}
			}
			return cmd.Help()
		},
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	commands := append([]CommandFactory{
		newVersionCmd,
		newRunCmd,
		newStopCmd,
		newStatusCmd,
		newReloadCmd,
	}, build...)
	for _, add := range commands {
		root.AddCommand(add(stdio))
	}
	return root
}
