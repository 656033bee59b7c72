// Command idle is the worker of the restart benchmark: it ignores its
// arguments and blocks until killed. Being a program of its own, copied
// once per supervisor, its exec is told apart by the executable's path.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
