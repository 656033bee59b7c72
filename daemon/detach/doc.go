// Package detach starts a program as a classic daemon: in a session of its
// own, not the session leader (so it can never acquire a controlling
// terminal again), with its own process group, reparented to init or the
// nearest subreaper, and with exactly the descriptors it is given.
//
// The double fork of C daemons cannot be done in Go: a Go process is
// multi-threaded and may only fork to exec at once. Start gets the same
// guarantees with at most one extra exec:
//
//   - When the calling process is not a process-group leader (the usual
//     case for a command run from a script, a service manager or a
//     benchmark) it calls setsid(2) itself and starts the program as its
//     child: the program joins the new session without leading it, and
//     becomes an orphan as soon as the caller exits. No extra process.
//   - When it leads its process group but not its session (a job that an
//     interactive shell with job control started), it first moves into
//     its parent's process group, which leaves its own group empty, and
//     then goes on as above. It touches the terminal in neither step.
//   - Otherwise (the caller leads a session, as a forking service started
//     by a service manager does) setsid is not allowed, so Start
//     re-executes /proc/self/exe with a stage marker in the environment and
//     setsid in SysProcAttr. That intermediate process leads the new
//     session, starts the program, reports its pid over a pipe and exits.
//     The program that uses detach must call Stage at the top of main.
//
// Either way Start returns only after the program's execve succeeded (Go's
// fork/exec reports exec failures over a close-on-exec pipe), with the
// program's pid. SIGHUP is caught and dropped while the session changes,
// and the program gets the default disposition back at exec.
//
// Non-goals: changing the umask, user or working directory of the caller
// (set them in Command or before calling Start), and reporting readiness of
// the program beyond exec (use a pipe in Command.Files for that).
package detach
