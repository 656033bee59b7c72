package supervise_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/supervise"
)

// Keep a worker alive, restarting it after failures with a growing delay,
// until SIGTERM or SIGINT arrives (Run forwards them and then returns).
func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	exit, err := supervise.Run(ctx, supervise.Config{
		Path:       "/usr/local/bin/echod",
		Files:      []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Restart:    supervise.RestartOnFailure,
		Backoff:    100 * time.Millisecond,
		MaxBackoff: 30 * time.Second,
		Logf:       log.Printf,
	})
	if err != nil {
		log.Print(err)
	}
	os.Exit(exit.ExitCode())
}

// A restart policy given by a user (a flag or a spec key) is checked with
// ParsePolicy; "" means the default.
func ExampleParsePolicy() {
	p, err := supervise.ParsePolicy("")
	fmt.Println(p, err)
	_, err = supervise.ParsePolicy("sometimes")
	fmt.Println(errors.Is(err, supervise.ErrConfig))
	// Output:
	// on-failure <nil>
	// true
}
