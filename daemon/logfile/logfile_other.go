//go:build !linux

package logfile

import (
	"errors"
	"os"
	"syscall"
)

// Open is only implemented on Linux.
func Open(string, *syscall.Credential) (*os.File, error) {
	return nil, errors.New("logfile: not supported on this system")
}
