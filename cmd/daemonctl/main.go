// Command daemonctl generates systemd units and LSB init scripts, builds .deb
// and .rpm packages, and runs any program as a classic daemon.
package main

import (
	"context"
	"os"

	"github.com/daemonctl/daemonctl/internal/cli"
)

func main() {
	// Re-executed stages of `daemonctl run` (detach, keepalive angel) run
	// before the command line is even built.
	if code, ok := cli.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
