// Command runtime benchmarks daemonctl's runtime against its peers
// (start-stop-daemon, daemon(1), runit's runsv, supervisord and bare Go
// floors) side by side in one run on one machine, interleaving the peers
// in every round so that machine noise hits all of them alike.
//
//	go run ./bench/runtime -o bench/runtime/RESULTS.md   # full run (a few minutes)
//	go run ./bench/runtime -smoke                        # < 60 s, for CI
//
// It must run as root on Linux, in the initial PID namespace: exec and exit
// times come from the kernel's process-events connector (CLOCK_MONOTONIC,
// nanoseconds), the same clock and method for every peer. The harness is a
// child subreaper, so daemons that detach are reparented to it and reaped,
// and it kills every descendant after each iteration. The open-files limit
// is set to 1024 (soft and hard, as `ulimit -n 1024` does) before anything
// is started, because start-stop-daemon and daemon(1) close every
// descriptor up to it.
//
// The exit status is non-zero only when a benchmark could not run; timings
// and bars never fail it.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

type config struct {
	n         int           // start/stop iterations per peer
	restarts  int           // kill -9 restarts per peer
	rssRounds int           // fresh supervisor instances measured per peer
	idle      time.Duration // idle CPU window
	minAge    time.Duration // a worker lives at least this long before kill -9
	smoke     bool
	out       string // markdown results file, "" = stdout only
	daemonctl string // prebuilt daemonctl, "" = build it
	echod     string // prebuilt echod, "" = build it
	keep      bool   // keep the work directory
	workdir   string // parent of the work directory
	only      string // comma-separated benchmarks to run, "" = all
}

func main() {
	var c config
	flag.IntVar(&c.n, "n", 200, "start and stop iterations per peer")
	flag.IntVar(&c.restarts, "restarts", 60, "kill -9 restarts per supervisor")
	flag.IntVar(&c.rssRounds, "rss", 5, "supervisor instances measured for RSS, per peer")
	flag.DurationVar(&c.idle, "idle", 60*time.Second, "idle CPU and wake-up window")
	flag.DurationVar(&c.minAge, "min-age", 1100*time.Millisecond, "minimum worker age before kill -9 (runsv waits 1 s before restarting a worker that lived less)")
	flag.BoolVar(&c.smoke, "smoke", false, "quick run (< 60 s) that only checks every benchmark runs")
	flag.StringVar(&c.out, "o", "", "also write the markdown results to this file")
	flag.StringVar(&c.daemonctl, "daemonctl", "", "use this daemonctl binary instead of building ./cmd/daemonctl")
	flag.StringVar(&c.echod, "echod", "", "use this echod binary instead of building ./cmd/echod")
	flag.StringVar(&c.workdir, "workdir", "/run", "parent of the work directory (no world-writable component: daemon(1) checks)")
	flag.StringVar(&c.only, "only", "", "run only these benchmarks (comma-separated: start, stop, rss, restart, idle)")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory (logs) after the run")
	flag.Parse()
	if c.smoke {
		c.n, c.restarts, c.rssRounds, c.idle = 5, 3, 1, 5*time.Second
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench/runtime:", err)
		os.Exit(1)
	}
}
