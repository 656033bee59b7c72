//go:build !linux

package privdrop

import (
	"errors"
	"syscall"
)

// Drop is only implemented on Linux.
func Drop(*syscall.Credential) error { return errors.New("privdrop: not supported on this system") }

// Verify is only implemented on Linux.
func Verify(*syscall.Credential) error { return errors.New("privdrop: not supported on this system") }
