// Package control finds, signals and stops a daemon through its locked
// pidfile: the part of start-stop-daemon that `daemonctl status`, `stop`
// and `reload` (and init scripts) need.
//
// A pid is only signalled once it is proven to be the daemon: the process
// named in the pidfile holds the file's write lock (pidfile.Probe reports
// Running; a read lock, which anyone who may read the file can take, does
// not count). The pid is pinned with a pidfd (pidfd_open), the proof is
// made again once it is pinned, the pinned process is checked to be still
// alive, and every signal goes through the pidfd, so neither a recycled
// pid nor a pid written by someone else is ever hit. A pidfile that
// another user may write, or that is not a regular file, is refused
// (pidfile.ErrUntrusted, pidfile.ErrInvalid); a lock that cannot be tied
// to the pid gives ErrUnverified. Every wait is bounded: after SIGKILL,
// Stop waits StopOptions.KillTimeout and then reports ErrStillAlive. Stop waits for the exit on the pidfd itself,
// through the runtime's poller: no polling loop, no fixed-step sleeps, and
// the process is gone when Stop returns.
//
// A daemon's children may hold its pidfile's lock after it exited (they
// inherited the locked descriptor, as with `daemonctl run --daemon`
// without --keepalive). Stop then reaches them through the daemon's
// process group, which the daemon must lead (pgid == pid, as package
// detach arranges): the same signal first, SIGKILL at the end of the same
// grace period, and the pidfile is removed once the lock is free. The
// group is pinned by the daemon's pidfd where the kernel allows
// (PIDFD_SIGNAL_PROCESS_GROUP, Linux 6.9) and by the rule that a group's
// number is not reused while the group has members. Processes that
// left the group are out of reach: Stop reports them (ErrLeftovers) and
// keeps the pidfile, rather than signal anything it cannot tie to the
// daemon.
//
// Example:
//
//	res, err := control.Stop(ctx, "/run/echod/echod.pid", control.StopOptions{Timeout: 5 * time.Second})
package control
