// Package sdnotify lets a daemon talk to systemd: the sd_notify(3) protocol
// (readiness, status, reload, stop, watchdog, extended timeouts, errno) and
// socket activation (sd_listen_fds_with_names(3)).
//
// It builds on github.com/coreos/go-systemd/v22: the message constants and
// the MONOTONIC_USEC clock reading come from its daemon package. What this
// package adds is what a library daemon needs and go-systemd lacks: the
// environment is passed in (testable, and never unset behind the caller's
// back), no positional bool parameters, RELOADING=1 always carries
// MONOTONIC_USEC (Type=notify-reload), a context-driven watchdog loop, typed
// helpers for EXTEND_TIMEOUT_USEC and ERRNO, and activated sockets keyed by
// systemd's own names ("unknown" for unnamed ones).
//
// Everything is a no-op when the process was not started by systemd, so a
// daemon can call it unconditionally:
//
//	n := sdnotify.FromEnv(os.Getenv)
//	ls, err := sdnotify.Listeners(os.Getenv)
//	if err != nil {
//		return err
//	}
//	if len(ls["web"]) == 0 { // not socket-activated: listen ourselves
//		l, err := net.Listen("tcp", addr)
//		...
//	}
//	go n.RunWatchdog(ctx)
//	_ = n.Ready()
//	...
//	_ = n.Stopping()
//
// Non-goals: it does not send file descriptors to the store (FDSTORE=1), does
// not speak NOTIFY_SOCKET over AF_VSOCK (ErrUnsupportedSocket), and does not
// decide whether the process runs in the foreground; that is the daemon
// package's job.
package sdnotify
