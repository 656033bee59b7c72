package spec

import (
	"io/fs"
	"time"
)

// ServiceType is how the program signals that it has started, with systemd's
// meaning of Type=.
type ServiceType string

// The service types a spec may name.
const (
	TypeSimple  ServiceType = "simple"  // running as soon as it is executed; does not fork
	TypeExec    ServiceType = "exec"    // running once execve succeeded; does not fork
	TypeNotify  ServiceType = "notify"  // sends READY=1 over NOTIFY_SOCKET; does not fork
	TypeForking ServiceType = "forking" // forks, the parent exits, the child writes the pidfile
)

// RestartPolicy says when the init system restarts the program, with
// systemd's meaning of Restart=.
type RestartPolicy string

// The restart policies a spec may name.
const (
	RestartNo        RestartPolicy = "no"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartAlways    RestartPolicy = "always"
)

// Hardening selects the sandboxing a generated systemd unit applies.
type Hardening string

// The hardening levels a spec may name.
const (
	HardeningOff     Hardening = "off"     // no sandboxing directives at all
	HardeningDefault Hardening = "default" // safe for most network daemons
	HardeningStrict  Hardening = "strict"  // everything a plain network daemon can live with
)

// Spec is a validated service description with every default applied.
// Generators may rely on every invariant Validate checks; none of its
// fields is empty unless documented so.
type Spec struct {
	Name             string        // service name, [a-z0-9][a-z0-9._-]*, at most 64 bytes
	Description      string        // one line of printable text
	Exec             string        // absolute, clean path of the program
	Args             []string      // arguments passed verbatim; may be empty; no NUL bytes
	Type             ServiceType   // never empty
	PIDFile          string        // absolute path, never in a world-writable or system directory; see RuntimeDirectory
	User             string        // account to run as; empty means root
	Group            string        // group to run as; defaults to User; given without User, the program runs as root with this group (generators must apply it)
	Environment      []EnvVar      // in file order; may be empty
	EnvironmentFile  string        // absolute path, read by unit and init script when it exists
	WorkingDirectory string        // absolute path
	Restart          RestartPolicy // never empty
	RestartDelay     time.Duration // 0 to MaxDuration
	StopTimeout      time.Duration // > 0 and <= MaxDuration; SIGKILL follows
	WatchdogTimeout  time.Duration // 0 means no watchdog; else 1s to MaxDuration
	ReloadSignal     string        // signal name without the SIG prefix, e.g. "HUP"
	After            []string      // systemd unit names; may be empty
	Wants            []string      // systemd unit names; may be empty
	Requires         []string      // systemd unit names; may be empty
	Listen           []Listen      // socket-activation addresses; empty means no .socket unit
	Limits           []Limit       // resource limits, sorted by name; may be empty
	Hardening        Hardening     // never empty
	Package          Package       // packaging metadata; Version is checked only by CheckPackage
	Source           string        // the spec file, as given; empty when built from flags

	// lines maps field paths to lines of Source; see Line. nil when the
	// spec did not come from a file.
	lines map[string]int
}

// EnvVar is one environment variable. Name matches [A-Za-z_][A-Za-z0-9_]*;
// Value is any text without NUL bytes.
type EnvVar struct {
	Name  string
	Value string
}

// Network is the kind of a socket-activation address.
type Network string

// The networks a listen address may name.
const (
	NetworkTCP  Network = "tcp"
	NetworkUnix Network = "unix"
)

// Listen is one socket-activation address.
type Listen struct {
	Network Network
	// Host is the TCP address to bind, without brackets; empty means every
	// address. Always empty for unix sockets.
	Host string
	// Port is the TCP port, 1-65535; 0 for unix sockets.
	Port int
	// Path is the absolute socket path for unix sockets; empty for TCP.
	Path string
}

// Limit is one resource limit.
type Limit struct {
	Name string // spec name, e.g. "nofile"; see LimitNames
	// Value is "infinity", "N" or "SOFT:HARD" (each a decimal number or
	// "infinity", soft not above hard), in the kernel's units (bytes,
	// seconds for cpu, microseconds for rttime). Each number is at most
	// 2^63-1 and within the limit's own range
	// (nofile at most 2147483584 and never infinity, nice 0 to 40, rtprio
	// 0 to 99, cpu at most 9223372036854 seconds).
	Value string
}

// Package is the packaging metadata of a spec.
type Package struct {
	Version    string   // upstream version; empty until CheckPackage requires it
	Release    string   // package release; default "1"
	Arch       string   // Debian architecture name (amd64, arm64, ...); default from the build machine
	Maintainer string   // "Name <email>"; default "daemonctl <root@localhost>"
	License    string   // SPDX-like license name; may be empty
	Homepage   string   // URL; may be empty
	Depends    []string // package relations, Debian syntax; may be empty
	Files      []File   // files to ship; Src is resolved against the spec's directory
	Conffiles  []string // extra absolute paths to mark as configuration files
	Enable     bool     // enable the service on install; default true
	Start      bool     // start the service on install, restart on upgrade; default true
}

// File is one file a package ships.
type File struct {
	Src  string      // path on the build machine, absolute after Build
	Dst  string      // absolute path on the target
	Mode fs.FileMode // permission bits; default 0644, or 0755 for the file at Exec
}
