// Command waitloop is the floor for the supervisor benchmarks: a bare Go
// loop that starts PROG, waits for it with wait4 and starts it again at
// once, forever. No backoff, no start limit, no signal forwarding.
//
//	waitloop PROG ARGS…
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: waitloop PROG ARGS…")
		os.Exit(2)
	}
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}}
	for {
		pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], attr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "waitloop:", err)
			os.Exit(1)
		}
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if err != syscall.EINTR {
				break
			}
		}
	}
}
