package control_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/control"
)

// Stop is what an init script's "stop" does: signal, wait, escalate.
func ExampleStop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := control.Stop(ctx, "/run/echod/echod.pid", control.StopOptions{Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	switch {
	case res.PID == 0:
		fmt.Println("not running")
	case res.Killed:
		fmt.Printf("killed pid %d after the grace period\n", res.PID)
	default:
		fmt.Printf("stopped pid %d\n", res.PID)
	}
}

// Reload: parse the signal a user named and send it to the daemon. A
// pidfile that is absent or not locked gives ErrNotRunning.
func ExampleSignal() {
	sig, err := control.ParseSignal("hup")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sig == syscall.SIGHUP)

	dir, err := os.MkdirTemp("", "control-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_, err = control.Signal(filepath.Join(dir, "echod.pid"), sig)
	fmt.Println(errors.Is(err, control.ErrNotRunning))
	// Output:
	// true
	// true
}
