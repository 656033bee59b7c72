// Package daemon is the runtime a Go daemon links: one Run call gives it
// the classic self-daemonizing mode, a locked pidfile, privilege drop,
// signal handling, log reopening, an optional keepalive angel, and the
// systemd notify protocol with socket activation and journald-aware logs.
//
// Modes. Under systemd (NOTIFY_SOCKET set) the program stays in the
// foreground and speaks sd_notify: READY=1 when it calls Ready, STATUS=,
// RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM,
// and watchdog pings at half of WATCHDOG_USEC. In ModeClassic (a --daemon
// flag) Run re-executes the program detached (see package detach): new
// session, not the session leader, stdio on /dev/null or the log file,
// working directory "/", umask 022. The launching process returns from Run
// only once the daemon called Ready, or with the daemon's own start error.
//
// Stages. The program runs its main in every re-executed stage (launcher,
// detach intermediate, angel, daemon or worker) with the same arguments:
// parse flags, then call Run, which recognises its stage from the
// environment. Do no other side effects before Run.
//
// Signals. SIGTERM and SIGINT cancel the context given to Handlers.Run; Run
// then waits at most Config.ShutdownTimeout for it to return. SIGHUP
// reopens the log file (logrotate: rename, HUP, a new file appears) and
// calls Handlers.Reload. After a privilege drop the daemon can make that
// new file only if Config.User may create files in the log's directory;
// otherwise logrotate must make it ("create MODE USER GROUP") or use
// copytruncate, and Run logs a warning saying so at start. When the log
// cannot be reopened, the daemon logs one error and keeps the old file.
// Opening and reopening go through package logfile: a symbolic link, a
// hard link, a FIFO or another user's file at the log's path is refused.
// SIGUSR1 and SIGUSR2 call their hooks. In classic
// mode SIGTTOU, SIGTTIN and SIGTSTP are ignored.
//
// Example (cmd/echod is a complete one):
//
//	err := daemon.Run(ctx, daemon.Config{Mode: mode, PIDFile: *pidfile, LogFile: *logFile},
//		daemon.Handlers{Run: func(ctx context.Context, d *daemon.Daemon) error {
//			ln, err := d.Listen("echo", "tcp", *addr)
//			if err != nil {
//				return err
//			}
//			d.Ready()
//			<-ctx.Done()
//			return ln.Close()
//		}})
//	os.Exit(daemon.ExitCode(err))
package daemon
