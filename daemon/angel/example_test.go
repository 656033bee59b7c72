package angel_test

import (
	"log"
	"os"
	"time"

	"github.com/daemonctl/daemonctl/daemon/angel"
	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/readiness"
	"github.com/daemonctl/daemonctl/daemon/supervise"
)

// Start echod detached under a keepalive angel that holds its pidfile and
// restarts it on failure. Both stages re-execute this program, so Stage
// (and detach.Stage) must come first in main.
func ExampleCommand() {
	if code, ok := detach.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	if code, ok := angel.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	opts := angel.Options{
		Pidfile:    "/run/echod/echod.pid",
		Restart:    supervise.RestartOnFailure,
		Backoff:    time.Second,
		MaxBackoff: time.Minute,
	}
	args := []string{"echod", "--listen", ":7007"}
	cmd := angel.Command(self, opts, "/usr/local/bin/echod", args, nil, nil, w)
	_, err = detach.Start(cmd)
	w.Close()
	if err != nil {
		log.Fatal(err)
	}
	if err := readiness.Wait(r); err != nil {
		log.Fatal(err)
	}
}
