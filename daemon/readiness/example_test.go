package readiness_test

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/daemonctl/daemonctl/daemon/readiness"
)

// The launcher keeps the read end and waits; the daemon reports on the
// write end. Here both ends live in one process; normally the write end is
// passed to the daemon as descriptor 3 with DAEMONCTL_READY_FD=3.
func ExampleWait() {
	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	go readiness.NewReporter(w).Ready()
	fmt.Println(readiness.Wait(r))

	r, w, err = os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	go readiness.NewReporter(w).Fail(errors.New("listen tcp :80: bind: permission denied"))
	err = readiness.Wait(r)
	var se *readiness.StartError
	fmt.Println(errors.As(err, &se), se.Msg)
	// Output:
	// <nil>
	// true listen tcp :80: bind: permission denied
}

// The daemon's side: report once it is serving, or report why it is not.
// With no launcher waiting, FromEnv returns nil and the calls do nothing.
func ExampleFromEnv() {
	rep := readiness.FromEnv(os.Getenv)
	ln, err := net.Listen("tcp", ":7007")
	if err != nil {
		rep.Fail(err)
		os.Exit(1)
	}
	rep.Ready()
	serve(ln)
}

func serve(net.Listener) {}
