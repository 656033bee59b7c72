// Package sysv renders LSB init scripts (/etc/init.d/NAME) from a validated
// spec.Spec.
//
// The script is POSIX sh and runs under dash, bash and busybox sh. It carries
// an LSB header whose Required-Start/Required-Stop come from the spec's after
// and requires units and whose Should-Start/Should-Stop come from wants, where
// an LSB facility stands for the unit (network-online.target → $network,
// time-sync.target → $time, nss-lookup.target → $named, remote-fs.target →
// $remote_fs, rpcbind → $portmap, …); $remote_fs and $syslog are always
// required and units without a facility are dropped.
//
// It implements start, stop, restart, try-restart (alias condrestart),
// reload, force-reload and status with the LSB exit codes: status exits 0
// running, 1 dead with a pidfile, 3 not running, 4 unknown; start on a running
// and stop on a stopped service succeed; a missing or unknown action prints a
// usage line and exits 2; reload exits 3 (not implemented) when the spec has
// no reload signal and 7 when the program is not running.
//
// On Debian-family systems it starts and stops through dpkg's
// start-stop-daemon (--background for programs that do not fork, --chuid,
// --notify-await, and --stop --pid with --retry TERM/stop_timeout/KILL/5);
// start-stop-daemon is never handed the pidfile, which it would read
// through a symlink or wait on as a FIFO. Elsewhere (RHEL family, busybox) it
// falls back to plain sh: it switches to the service account with
// util-linux setpriv, else runuser, else su (busybox has no runuser and its
// setpriv cannot change uid; su cannot pick a group other than the user's
// primary one), detaches the program with setsid and stops with TERM,
// stop_timeout, then KILL. A group without a user runs the program as root
// with that group (setpriv --init-groups, start-stop-daemon --chuid
// root:GROUP, runuser -g), as the systemd unit does.
//
// The pidfile's directory, when the script creates it, belongs to the
// service account, so the script treats everything in it as hostile: the
// pid is written by the process itself after the switch to the account,
// just before it becomes the program (never by root); root reads the
// pidfile only when it is a regular file and not a symlink, with GNU dd's
// nofollow and nonblock flags where dd has them, so a FIFO never blocks it;
// root only unlinks there, and creates the directory with mkdir and chown
// -h, never recursing. A pidfile counts only when it holds one line of
// digits naming a pid above 1 whose process is alive, not a zombie, runs
// the spec's exec (/proc/PID/exe, ignoring the " (deleted)" an upgrade
// leaves, or the command line for #! scripts) and, with a user, runs as
// that user; anything else is never signalled (status 1, stop removes the
// file). stop_timeout is rounded up to seconds and capped at 214748364.
//
// Every spec value that reaches the shell is single-quoted; the two values in
// the header comment (name, description) must be one printable line.
// Environment variables the shells treat specially (IFS, PPID, SHLVL, PWD, …)
// are rejected with ErrUnsafe because they could not reach the program
// unchanged. The environment, limits (where dash, bash and busybox share a
// ulimit flag; values converted to the shell's units), umask 022 and the
// working directory apply to the program only; the environment file is
// sourced after the spec's environment and so overrides it, as systemd's
// EnvironmentFile= does.
//
// Start waits until the program runs as $DAEMON (simple, exec), until it
// sent READY=1 (notify, through start-stop-daemon --notify-await, dpkg 1.19.3
// and later; the portable path cannot listen and treats notify like
// simple) or until its pidfile names it (forking), for at most 60 seconds; a
// program that dies is noticed at once. A failed start sends TERM to the program
// the pidfile proves ours and to the launcher it put in the background, and
// removes the pidfile. The exec must be the program
// itself (or a #! script), not a wrapper that execs another binary: such a
// process never counts as ours.
//
// Spec v2 keys (issue 8), each rendered only when the spec sets it, so that
// an older spec gives the same script byte for byte:
//   - args_from_env: after the environment file is read, the words of each
//     variable follow the args, split as systemd splits an unquoted $NAME
//     (at spaces, tabs, newlines and carriage returns; '...' and "..."
//     quote and \ escapes, the quotes and backslashes removed; nothing
//     expanded or globbed). exec_start_pre and exec_reload do not get them.
//   - directories: created before start, as root, one component at a time
//     (a parent the spec does not name is root's, 0755), then given to the
//     service's user and group (configuration: root) with the spec's mode;
//     a component that is not a real directory (a symbolic link planted by
//     the account) fails the start and is never followed.
//   - ambient_capabilities, capability_bounding_set: the program starts
//     through util-linux setpriv (--inh-caps/--ambient-caps,
//     --bounding-set, and --reuid/--regid/--init-groups instead of
//     start-stop-daemon --chuid or runuser); without it start fails with
//     "capabilities need util-linux setpriv".
//   - umask: the program's umask instead of 022.
//   - reload none: reload prints that there is none and exits 3,
//     force-reload restarts. reload command: reload and force-reload run
//     exec_reload in the foreground as the service's account with the
//     program's environment, limits, umask, directory and MAINPID.
//   - exec_start_pre: run in order, as the service's account, before start
//     (after the directories), before reload and before restart; the first
//     that fails ends the action with 1, its output shown, and a running
//     program is left alone.
//   - stop_timeout infinity: stop waits as long as it takes. send_sigkill
//     false: when the timeout passes, stop exits 1 and sends no KILL.
//   - kill_mode control-group: TERM (and KILL after the timeout) go to the
//     program's process group while the program, proven ours, leads it;
//     what is left of the group after it exits gets the rest of the
//     timeout, then KILL. mixed: TERM to the program, KILL to the group
//     (at the timeout, or to what is left once the program exited). A
//     program that does not lead its group is signalled alone. With
//     start-stop-daemon the program is started through setsid so that it
//     leads its group. process: as before.
//   - documentation: "# Documentation: URI" lines in the header (none for
//     the default, the homepage); alias: more names in LSB Provides:.
//   - template services (name@) get no script: Script returns
//     ErrTemplate, and Files renders every other service of s.All().
//
// Non-goals: the script does not supervise or restart the program (restart,
// restart_sec and watchdog_sec are systemd-only), does not provide socket
// activation (listen) and applies no hardening (hardening_overrides and
// the read_write/read_only/inaccessible paths have no SysV meaning).
//
// Four environment variables exist for tests and should stay unset in
// production: DAEMONCTL_NO_SSD=1 forces the portable path,
// DAEMONCTL_NO_LSB=1 skips /lib/lsb/init-functions, DAEMONCTL_PATH replaces
// the script's PATH and DAEMONCTL_START_WAIT (seconds) the start wait.
package sysv
