package buildcli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/internal/cli"
	"github.com/daemonctl/daemonctl/internal/textesc"
	"github.com/daemonctl/daemonctl/spec"
)

// toolRunner runs external checkers; tests replace it.
type toolRunner struct {
	lookPath func(string) (string, error)
	run      func(ctx context.Context, name string, args ...string) ([]byte, error)
}

func systemTools() toolRunner {
	return toolRunner{
		lookPath: exec.LookPath,
		run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=")
			return cmd.CombinedOutput()
		},
	}
}

type lintOptions struct {
	spec  specFlags
	tools toolRunner
}

func newLintCmd(stdio cli.Stdio) *cobra.Command {
	opts := &lintOptions{tools: systemTools()}
	cmd := &cobra.Command{
		Use:   "lint -f daemon.yaml",
		Short: "Validate a spec and check the files generated from it",
		Long: `lint validates the spec, renders the systemd unit(s) and the init script, and
checks them with systemd-analyze verify, shellcheck and sh -n (dash, bash,
busybox) when those are installed; a missing tool is reported, not failed.
Exit status: 0 clean, 1 a check found problems, 2 the spec itself is invalid.`,
		Example: `  daemonctl lint -f daemon.yaml`,
		Args:    cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLint(cmd.Context(), opts, stdio)
		},
	}
	opts.spec.register(cmd, false)
	return cmd
}

// lintReport prints one line per check and counts failures.
type lintReport struct {
	out      *strings.Builder
	failures int
}

func (r *lintReport) ok(format string, args ...any)   { r.line("ok     ", format, args...) }
func (r *lintReport) skip(format string, args ...any) { r.line("skip   ", format, args...) }
func (r *lintReport) fail(format string, args ...any) {
	r.failures++
	r.line("FAIL   ", format, args...)
}

// line writes one entry of the report. Every string and error argument is
// escaped (textesc): the spec's path and the checkers' output, which quotes
// the generated files and so the spec's values, cannot add lines or send
// terminal escapes. A block argument prints as several lines.
func (r *lintReport) line(tag, format string, args ...any) {
	for i, a := range args {
		switch a := a.(type) {
		case block:
			args[i] = a.String()
		case string:
			args[i] = textesc.Escape(a)
		case error:
			args[i] = textesc.Escape(a.Error())
		}
	}
	r.out.WriteString(tag + fmt.Sprintf(format, args...) + "\n")
}

// block is a checker's output: each line is escaped (tabs, which quoted
// script lines are full of, become spaces first) and the lines after the
// first are indented under the report's tag column.
type block []string

// outputBlock splits a checker's output into lines, without the blank
// ones at either end.
func outputBlock(out []byte) block {
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func (b block) String() string {
	lines := make([]string, len(b))
	for i, l := range b {
		lines[i] = textesc.Escape(strings.ReplaceAll(l, "\t", "    "))
	}
	return strings.Join(lines, "\n         ")
}

func runLint(ctx context.Context, opts *lintOptions, stdio cli.Stdio) error {
	if opts.spec.file == "" {
		return &cli.UsageError{Err: fmt.Errorf("lint: -f daemon.yaml is required")}
	}
	s, err := opts.spec.load()
	if err != nil {
		return err
	}
	report := &lintReport{out: &strings.Builder{}}
	report.ok("spec %s", opts.spec.file)
	gens, err := renderers()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "daemonctl-lint-")
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	defer os.RemoveAll(dir)
	units, err := gens["systemd"](s)
	if err != nil {
		return err
	}
	scripts, err := gens["sysv"](s)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteAll(dir, append(append([]atomicfile.File{}, units...), scripts...)); err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	lintUnits(ctx, opts.tools, report, s, dir, units)
	lintScript(ctx, opts.tools, report, filepath.Join(dir, scripts[0].Name))
	_, werr := fmt.Fprint(stdio.Out, report.out.String())
	if report.failures > 0 {
		return &cli.ExitError{Code: cli.ExitFailure, Err: fmt.Errorf("lint: %d check(s) failed", report.failures)}
	}
	return werr
}

// lintUnits runs systemd-analyze verify. It exits 0 on unknown keys, so any
// output line naming one of our units counts as a finding. A program that is
// not installed on this machine is a note, not a finding.
func lintUnits(ctx context.Context, tools toolRunner, report *lintReport, s *spec.Spec, dir string, units []atomicfile.File) {
	if _, err := tools.lookPath("systemd-analyze"); err != nil {
		report.skip("systemd-analyze verify: systemd-analyze is not installed")
		return
	}
	for _, u := range units {
		path := filepath.Join(dir, u.Name)
		out, err := tools.run(ctx, "systemd-analyze", "verify", "--man=no", "--generators=no", path)
		var findings []string
		missingExec := false
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			switch {
			case line == "":
			case strings.Contains(line, s.Exec) && strings.Contains(line, "No such file or directory"):
				missingExec = true
			case strings.Contains(line, u.Name) || strings.Contains(line, path):
				findings = append(findings, line)
			}
		}
		switch {
		case len(findings) > 0:
			report.fail("systemd-analyze verify %s:\n         %s", u.Name, block(findings))
		case err != nil && !missingExec:
			report.fail("systemd-analyze verify %s: %v: %s", u.Name, err, outputBlock(out))
		case missingExec:
			report.ok("systemd-analyze verify %s (%s is not installed here; not checked)", u.Name, s.Exec)
		default:
			report.ok("systemd-analyze verify %s", u.Name)
		}
	}
}

// lintScript runs shellcheck and sh -n under every shell that is installed.
func lintScript(ctx context.Context, tools toolRunner, report *lintReport, script string) {
	name := filepath.Base(script)
	if _, err := tools.lookPath("shellcheck"); err != nil {
		report.skip("shellcheck: shellcheck is not installed")
	} else if out, err := tools.run(ctx, "shellcheck", "-s", "sh", script); err != nil {
		report.fail("shellcheck %s:\n         %s", name, outputBlock(out))
	} else {
		report.ok("shellcheck -s sh %s", name)
	}
	for _, shell := range [][]string{{"dash"}, {"bash", "--posix"}, {"busybox", "sh"}} {
		if _, err := tools.lookPath(shell[0]); err != nil {
			report.skip("%s -n: %s is not installed", strings.Join(shell, " "), shell[0])
			continue
		}
		args := append(shell[1:], "-n", script)
		if out, err := tools.run(ctx, shell[0], args...); err != nil {
			report.fail("%s -n %s: %s", strings.Join(shell, " "), name, outputBlock(out))
		} else {
			report.ok("%s -n %s", strings.Join(shell, " "), name)
		}
	}
}
