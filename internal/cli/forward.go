package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// BuildExecutable is the name of the executable that implements the build
// commands; daemonctl looks for it beside itself, then in LibexecDir.
const BuildExecutable = "daemonctl-build"

// LibexecDir is where packages install BuildExecutable when it is not
// beside daemonctl.
const LibexecDir = "/usr/libexec/daemonctl"

// buildCommands names the commands Forwarded hands over, with their help line.
var buildCommands = []struct{ name, short string }{
	{"gen", "Generate a systemd unit or an LSB init script"},
	{"lint", "Validate a spec and check the files generated from it"},
	{"package", "Build .deb and .rpm packages of the service"},
}

// Forwarded returns stand-ins for the build commands: each replaces the
// process (execve) with daemonctl-build and the same arguments, so flags,
// help, output and exit code are daemonctl-build's own.
func Forwarded() []CommandFactory {
	out := make([]CommandFactory, 0, len(buildCommands))
	for _, c := range buildCommands {
		out = append(out, func(Stdio) *cobra.Command {
			return &cobra.Command{
				Use:                c.name,
				Short:              c.short,
				DisableFlagParsing: true,
				RunE: func(_ *cobra.Command, args []string) error {
					return execBuild(append([]string{c.name}, args...))
				},
			}
		})
	}
	return out
}

// ErrNoBuildExecutable means daemonctl-build is neither beside daemonctl nor
// in LibexecDir.
var ErrNoBuildExecutable = errors.New(BuildExecutable + " not found")

// findBuild locates daemonctl-build.
func findBuild() (string, error) {
	var candidates []string
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		candidates = append(candidates, filepath.Join(filepath.Dir(self), BuildExecutable))
	}
	candidates = append(candidates, filepath.Join(LibexecDir, BuildExecutable))
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0 {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w beside daemonctl or in %s (build it with `make build`, or go build ./cmd/%s)", ErrNoBuildExecutable, LibexecDir, BuildExecutable)
}
