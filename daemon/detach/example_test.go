package detach_test

import (
	"fmt"
	"log"
	"os"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/readiness"
)

// A launcher that starts echod as a classic daemon and exits only once
// the daemon has reported ready (package readiness) on descriptor 3.
// Stage must run first in main: Start may re-execute this program.
func ExampleStart() {
	if code, ok := detach.Stage(os.Getenv); ok {
		os.Exit(code)
	}
	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	pid, err := detach.Start(&detach.Command{
		Path:  "/usr/local/bin/echod",
		Env:   append(os.Environ(), readiness.EnvFD+"=3"),
		Dir:   "/",
		Files: []*os.File{nil, nil, nil, w}, // stdio on /dev/null
	})
	w.Close()
	if err != nil {
		log.Fatal(err)
	}
	if err := readiness.Wait(r); err != nil {
		log.Fatal(err)
	}
	fmt.Println("echod started, pid", pid)
}
