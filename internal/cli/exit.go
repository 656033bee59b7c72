package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command. Status-like commands add their own
// (LSB) codes through ExitError.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitFailure is a runtime failure, reported as a one-line reason.
	ExitFailure = 1
	// ExitUsage is a bad flag, argument or spec file.
	ExitUsage = 2
)

// UsageError is a bad flag or argument; it maps to ExitUsage and is
// followed by a hint to read --help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitError ends the command with Code. When Err is nil nothing is printed,
// which is how status reports "not running" without an error line. A bad
// spec file is an ExitError with ExitUsage: its message already says what
// to fix, so no usage hint follows.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// exitCode maps an error returned by a command to the process exit code.
// This is the only place where errors become exit codes.
func exitCode(err error) int {
	var exitErr *ExitError
	var usageErr *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.As(err, &usageErr):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// NoArgs rejects positional arguments as a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &UsageError{Err: fmt.Errorf("%s: unexpected argument %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
