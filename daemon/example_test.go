package daemon_test

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/daemonctl/daemonctl/daemon"
)

// A daemon that runs in the foreground (and under systemd) by default and
// detaches with --daemon; the launcher exits once Ready was called.
func ExampleRun() {
	classic := flag.Bool("daemon", false, "detach")
	pidfile := flag.String("pidfile", "", "pidfile")
	flag.Parse()
	cfg := daemon.Config{PIDFile: *pidfile}
	if *classic {
		cfg.Mode = daemon.ModeClassic
	}
	err := daemon.Run(context.Background(), cfg, daemon.Handlers{
		Run: func(ctx context.Context, d *daemon.Daemon) error {
			d.Ready()
			<-ctx.Done() // SIGTERM or SIGINT
			return nil
		},
		Reload: func(ctx context.Context, d *daemon.Daemon) error {
			d.Logger().Info("reloading") // SIGHUP, after the log file was reopened
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(daemon.ExitCode(err))
}
