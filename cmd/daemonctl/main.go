// Command daemonctl generates systemd units and LSB init scripts, builds .deb
// and .rpm packages, and runs any program as a classic daemon.
package main

import (
	"context"
	"os"

	"github.com/daemonctl/daemonctl/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
