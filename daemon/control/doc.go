// Package control finds, signals and stops a daemon through its locked
// pidfile: the part of start-stop-daemon that `daemonctl status`, `stop`
// and `reload` (and init scripts) need.
//
// A pid is only signalled while the pidfile is locked by a live process
// (see package pidfile), and the pid is pinned with a pidfd (pidfd_open)
// that is checked against the lock again before any signal goes out, so a
// recycled pid is never hit. Stop waits for the exit on the pidfd itself,
// through the runtime's poller: no polling loop, no fixed-step sleeps, and
// the process is gone when Stop returns.
//
// Example:
//
//	res, err := control.Stop(ctx, "/run/echod/echod.pid", control.StopOptions{Timeout: 5 * time.Second})
package control
