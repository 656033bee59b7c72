//go:build !unix

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// execBuild runs daemonctl-build ARGS and passes its exit code on.
func execBuild(args []string) error {
	path, err := findBuild()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return &ExitError{Code: exitErr.ExitCode()}
	}
	return err
}
