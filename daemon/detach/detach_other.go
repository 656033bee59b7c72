//go:build !linux

package detach

import "errors"

// Start is only implemented on Linux.
func Start(*Command) (int, error) { return 0, errors.New("detach: not supported on this system") }

// Stage never handles anything outside Linux.
func Stage(func(string) string) (int, bool) { return 0, false }

// CloseOnExec is only implemented on Linux.
func CloseOnExec() error { return errors.New("detach: not supported on this system") }
