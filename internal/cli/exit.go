package cli

import (
	"errors"

	"github.com/daemonctl/daemonctl/spec"
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

// UsageError is a bad flag or argument; it maps to ExitUsage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitError ends the command with Code. When Err is nil nothing is printed,
// which is how status reports "not running" without an error line.
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
	var specErr spec.Errors
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.As(err, &usageErr), errors.As(err, &specErr):
		return ExitUsage
	default:
		return ExitFailure
	}
}
