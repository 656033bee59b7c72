// Command launcher is the floor for the start benchmark: the least a Go
// program can do to start a daemon. It fork/execs PROG in a new session,
// returns once the exec has succeeded (os.StartProcess waits for that), and
// writes PROG's pid to the pidfile. It does not double-fork, lock the
// pidfile, drop privileges or report PROG's own readiness.
//
//	launcher -pidfile P PROG ARGS…
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	pidfile := flag.String("pidfile", "", "write PROG's pid here")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: launcher -pidfile P PROG ARGS…")
		os.Exit(2)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(1)
	}
	p, err := os.StartProcess(flag.Arg(0), flag.Args(), &os.ProcAttr{
		Dir:   "/",
		Files: []*os.File{devnull, devnull, devnull},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(1)
	}
	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(p.Pid)+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "launcher:", err)
			os.Exit(1)
		}
	}
}
