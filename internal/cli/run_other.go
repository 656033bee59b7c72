//go:build !linux

package cli

import (
	"errors"
	"os"
)

// execInPlace is only implemented on Linux.
func execInPlace(string, []string, []string, string, []*os.File) error {
	return errors.New("run: not supported on this system")
}
