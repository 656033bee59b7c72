package pidfile_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
)

// A daemon takes its pidfile before it does anything else and removes it
// on the way out. A second Acquire, from this or any other process, fails
// while the lock is held.
func ExampleAcquire() {
	dir, err := os.MkdirTemp("", "pidfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "echod.pid")

	pf, err := pidfile.Acquire(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pf.Write(os.Getpid()); err != nil {
		log.Fatal(err)
	}

	_, err = pidfile.Acquire(path)
	fmt.Println("second acquire:", errors.Is(err, pidfile.ErrAlreadyRunning))

	st, err := pidfile.Probe(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.State, st.PID == os.Getpid())

	if err := pf.Remove(); err != nil {
		log.Fatal(err)
	}
	st, _ = pidfile.Probe(path)
	fmt.Println(st.State)
	// Output:
	// second acquire: true
	// running true
	// absent
}

// Status tools read the pidfile without locking it: Probe tells a live
// daemon from a stale pidfile left behind by a crash.
func ExampleProbe() {
	st, err := pidfile.Probe("/run/echod/echod.pid")
	if err != nil {
		log.Fatal(err)
	}
	switch st.State {
	case pidfile.Running:
		fmt.Printf("running (pid %d)\n", st.PID)
	case pidfile.Stale, pidfile.Orphaned:
		fmt.Println("dead, pidfile exists")
	case pidfile.Unverified:
		fmt.Println("unknown:", st.Reason)
	default:
		fmt.Println("not running")
	}
}
