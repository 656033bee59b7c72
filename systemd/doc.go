// Package systemd renders systemd units for a daemon described by a
// spec.Spec: a <name>.service for every spec and a <name>.socket when the
// spec lists socket-activation addresses.
//
// Rendering has no side effects: Service and Socket write text to an
// io.Writer and Files returns the files for atomicfile.WriteAll. The
// templates (templates/systemd-*.tmpl) are parsed once, by New.
//
// # Quoting
//
// Every argument of ExecStart= is written so that systemd hands it to the
// program byte for byte: words with anything but letters, digits and
// "/._-+,:=@" are double-quoted; quotes and backslashes are escaped, "%"
// becomes "%%" (specifiers) and "$" becomes "$$" (environment
// substitution); control characters and bytes that are not UTF-8 are
// written as C escapes (\n, \t, \xNN). Environment= assignments are quoted
// the same way, without the "$" doubling systemd does not need there. The
// package never passes anything through a shell.
//
// Values systemd cannot read back unchanged are refused with an error
// wrapping ErrUnrepresentable rather than altered: a Description= with
// surrounding white space or a trailing backslash, and any line longer
// than MaxLineLen (older systemd truncates long lines). Values written
// without quoting (name, user, group, paths, unit names, limits, enums) are
// held to spec's own predicates (spec.ValidName, spec.ValidPath, ...),
// which every Spec from spec.Build passes, so a Spec built by hand cannot
// add lines or settings to a unit; the rules themselves live only in spec.
//
// # Hardening
//
// spec.HardeningOff adds no sandboxing. spec.HardeningDefault sandboxes
// without breaking a typical network daemon: no new privileges; no
// capabilities for a service with its own user (so it cannot bind a port
// below 1024 itself: list the port under listen instead), while a root
// service loses only the host-administration ones; read-only /usr, /boot
// and /etc; private /tmp and /dev; protected kernel tunables, modules,
// logs, clock, hostname and cgroup tree; the @system-service system calls;
// Unix, IPv4, IPv6 and netlink sockets only; and a writable pidfile
// directory. That directory is the unit's
// RuntimeDirectory= only when spec.Spec.RuntimeDirectory says it is the
// service's own (/run/NAME or below it): systemd deletes a
// RuntimeDirectory= when the service stops, so any other directory
// (another service's under /run, one outside /run) is never claimed but
// made writable with ReadWritePaths=; a pidfile directly in /run gets
// neither. spec.HardeningStrict adds a read-only file system
// outside those directories, a hidden /proc, private IPC and mount
// namespaces, a private user namespace (own user only), no netlink, no
// writable-executable memory, no @privileged or @resources system calls,
// umask 0077, and for a root service a bounding set of
// CAP_NET_BIND_SERVICE alone. Paths under /home, /root or /run/user make
// ProtectHome read-only; paths under /tmp or /var/tmp drop PrivateTmp.
// systemd releases older than a setting ignore it with a warning.
//
// Measured with systemd-analyze security --offline=true (systemd 252) on
// the echod example, a notify network daemon with an account of its own:
// off 9.2, default 2.0, strict 1.1. The same spec run as root scores 9.6,
// 3.1 and 1.7: give daemons an account of their own.
//
// The spec adjusts a level setting by setting (spec v2): capability_bounding_set,
// ambient_capabilities and umask replace the level's CapabilityBoundingSet=,
// AmbientCapabilities= and UMask= lines (or are added, at level off too);
// an ambient capability the level's bounding set would drop is kept in it,
// and ambient capabilities drop strict's PrivateUsers=, in whose user
// namespace they would be void on the host. Each hardening_overrides
// directive replaces every line of that directive the level writes, where
// the first one stood, or ends the block; an empty value removes it.
// read_write_paths, read_only_paths and inaccessible_paths follow, one
// line each, at every level.
//
// # Directories
//
// The pidfile's own runtime directory is RuntimeDirectory= as before;
// the spec's runtime, state, cache, logs and configuration directories are
// added per kind (RuntimeDirectory=, StateDirectory=, ...) with one
// <Kind>DirectoryMode= each. Nothing else is declared: before spec v2 every
// unit declared StateDirectory=NAME and LogsDirectory=NAME.
//
// # Templates
//
// A spec named NAME@ gives NAME@.service (and NAME@.socket): %i and %I in
// its values stay systemd's instance specifiers, every other "%" is
// escaped; the socket of an instance is %N.socket.
//
// # Socket activation
//
// With listen addresses the service Requires= and is ordered After= its
// socket, so it always receives its listeners (LISTEN_FDS), whether
// started by a connection or directly; "systemctl enable NAME.service"
// enables the socket too (Also=).
package systemd
