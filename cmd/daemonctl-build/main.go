// Command daemonctl-build implements daemonctl's build commands (gen, lint,
// package). daemonctl hands those commands to it, so that the daemonctl
// executable stays small and quick to start; run as daemonctl-build it
// accepts the whole daemonctl command line.
package main

import (
	"context"
	"os"

	"github.com/daemonctl/daemonctl/internal/buildcli"
	"github.com/daemonctl/daemonctl/internal/cli"
)

func main() {
	if code, ok := cli.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	os.Exit(buildcli.Main(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
