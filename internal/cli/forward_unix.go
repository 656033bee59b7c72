//go:build unix

package cli

import (
	"fmt"
	"os"
	"syscall"
)

// execBuild replaces the process with daemonctl-build ARGS; it returns only
// on failure.
func execBuild(args []string) error {
	path, err := findBuild()
	if err != nil {
		return err
	}
	argv := append([]string{"daemonctl"}, args...)
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}
