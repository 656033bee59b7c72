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
	Name             string        // service name, [a-z0-9][a-z0-9._-]*, at most 64 bytes; followed by "@" for a template (see IsTemplate, BaseName)
	Description      string        // one line of printable text; default Name ("NAME@%i" for a template)
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

	// Spec v2 (issue 8). Every field below is optional in daemon.yaml; its
	// zero value means "as before v2", so old specs render unchanged except
	// where the README's changelog says otherwise.

	// ArgsFromEnv (args_from_env) names variables of EnvironmentFile whose
	// value is split at whitespace (systemd's unquoted $NAME; the init
	// script's unquoted "$NAME" with globbing off) and appended to Args, in
	// this order. Value is the default the package's environment file sets
	// (may be empty): Printable, without " \ $ or ` (the package writes
	// it in double quotes, read alike by the shell and systemd). Names
	// are unique and ValidEnvName. May be empty.
	ArgsFromEnv []EnvVar
	// Directories are the directories the init system creates for the
	// service before it starts (systemd's RuntimeDirectory=,
	// StateDirectory=, CacheDirectory=, LogsDirectory=,
	// ConfigurationDirectory=; the init script's mkdir/chown/chmod), sorted
	// by kind (DirectoryKinds order) then file order. The pidfile's own
	// runtime directory (RuntimeDirectory) is not listed unless the spec
	// names it too. May be empty.
	Directories []Directory
	// ReadWritePaths, ReadOnlyPaths, InaccessiblePaths (read_write_paths,
	// read_only_paths, inaccessible_paths): absolute clean paths, each
	// optionally prefixed by "-" (a missing path is not an error), for
	// systemd's sandbox; the path after the "-" is ValidPath (no
	// specifiers). The init script has no sandbox. May be empty.
	ReadWritePaths    []string
	ReadOnlyPaths     []string
	InaccessiblePaths []string
	// CapabilityBoundingSet and AmbientCapabilities
	// (capability_bounding_set, ambient_capabilities): capability names
	// from Capabilities (upper case, CAP_ prefix), unique, in file order.
	// nil means the hardening level decides; an empty non-nil list means
	// "none". Every ambient capability is in the bounding set when both
	// are given.
	CapabilityBoundingSet []string
	AmbientCapabilities   []string
	// UMask (umask) is the file mode creation mask as four octal digits
	// ("0027"); "" means the hardening level decides (strict: 0077; else
	// the init system's 0022).
	UMask string
	// HardeningOverrides (hardening_overrides) set or unset sandboxing
	// directives of the level, in file order; each is ValidOverride (see
	// HardeningDirectives and OverrideKeys). A directive may appear
	// several times (a YAML list): its lines replace the level's.
	HardeningOverrides []Override
	// Reload (reload) is how the service reloads; never empty; default
	// command when exec_reload is given, else signal. ExecReload
	// (exec_reload) is the command when Reload is ReloadCommand (argv[0]
	// ValidPath, no NUL bytes), else nil. ReloadSignal keeps its value
	// (default HUP) whatever Reload is; Build refuses reload_signal
	// written beside a reload other than signal, and exec_reload beside
	// one other than command.
	Reload     ReloadKind
	ExecReload []string
	// ExecStartPre (exec_start_pre) are commands run before the program
	// starts (and, by the init script, before reload and restart, as a
	// configuration test); each argv[0] is absolute. May be empty.
	ExecStartPre [][]string
	// StopTimeoutInfinite (stop_timeout: infinity) means stop waits for
	// the exit with no limit; StopTimeout is then MaxDuration and unused.
	StopTimeoutInfinite bool
	// SendSIGKILL (send_sigkill) says whether stop ends with SIGKILL when
	// the timeout passes; default true.
	SendSIGKILL bool
	// KillMode (kill_mode) is which processes stop signals; "" means
	// systemd's default (control-group) and the directive is left out.
	KillMode KillMode
	// StartLimitInterval and StartLimitBurst (start_limit_interval_sec,
	// start_limit_burst): 0 means the generator's default (5 starts within
	// max(1m, 10*RestartDelay)); each is set on its own. Build refuses
	// either written as 0 (systemd would read it as "no limit"); the
	// interval is at most MaxDuration, the burst at most
	// MaxStartLimitBurst.
	StartLimitInterval time.Duration
	StartLimitBurst    int
	// Documentation (documentation) are URIs in file order, each
	// ValidDocumentation; default: Package.Homepage when it is
	// ValidDocumentation (else none), for every service of the package,
	// which is what the unit has always written.
	Documentation []string
	// Aliases (alias) are other names of the service (without .service):
	// systemd's Alias=, LSB's Provides:. ValidName, unique across every
	// name and alias of the package, never Name; the aliases of a
	// template are templates (NAME@) and only theirs are.
	Aliases []string
	// LogRotate (logrotate) is the log rotation the package ships in
	// /etc/logrotate.d/<name>; nil means none.
	LogRotate *LogRotate
	// Extra (services) are further services the same package ships, each
	// a complete, validated Spec whose Package and Extra are zero and whose
	// Source and positions are this file's: its Line("exec") is the line
	// of services[N].exec, and its FieldError names "services[N].exec".
	// Each has its own defaults, derived from its own name (pidfile,
	// environment file, description); its Documentation defaults to the
	// package's homepage too. Names and aliases are unique across s and
	// Extra. nil when the file has no services. See All.
	Extra []*Spec

	// lines maps field paths to lines of Source; see Line. nil when the
	// spec did not come from a file. A further service (Extra) shares its
	// package's map.
	lines map[string]int
	// field is where the service stands in Source: "" for the top of the
	// file, "services[N]." for a further service; Line and FieldError
	// prefix it to the fields they are given.
	field string
}

// DirectoryKind is one of systemd's per-service directory kinds.
type DirectoryKind string

// The directory kinds, in the order Directories lists them. Each is
// relative to its base: /run, /var/lib, /var/cache, /var/log, /etc.
const (
	DirRuntime       DirectoryKind = "runtime"
	DirState         DirectoryKind = "state"
	DirCache         DirectoryKind = "cache"
	DirLogs          DirectoryKind = "logs"
	DirConfiguration DirectoryKind = "configuration"
)

// Directory is one directory the init system creates for the service.
// Owner and group are the service's User and Group (root for
// DirConfiguration, as systemd does).
type Directory struct {
	Kind DirectoryKind
	// Name is relative to the kind's base: clean, no "..", no leading
	// "/", ValidPath once joined to the base (ValidInstancePath in a
	// template service, where it may hold %i or %I). A runtime name is in
	// no shared directory of /run (systemd, user, lock, ...); any other is
	// where a package file could be (not /var/lib/dpkg, /etc/ssh, ...).
	// Unique within its kind.
	Name string
	// Mode is the permission bits (at most 07777, no o+w, no setuid;
	// setgid and sticky allowed); default 0755. systemd has one mode per kind: every directory of a
	// kind has the same Mode.
	Mode fs.FileMode
}

// Override is one hardening_overrides entry: a sandboxing directive (its
// systemd name, e.g. "ProcSubset") and its value, or "" to leave the
// directive out. Values are printable, one line, and valid for the
// directive (booleans written "yes"/"no").
type Override struct {
	Directive string
	Value     string
}

// ReloadKind is how `reload` reaches the program.
type ReloadKind string

// The reload kinds a spec may name.
const (
	ReloadSignal  ReloadKind = "signal"  // send ReloadSignal to the main process
	ReloadCommand ReloadKind = "command" // run ExecReload
	ReloadNone    ReloadKind = "none"    // no reload: systemd refuses it, the init script's reload exits 3 and force-reload restarts
)

// KillMode is systemd's KillMode=.
type KillMode string

// The kill modes a spec may name (systemd's "none" is deprecated and not
// offered).
const (
	KillControlGroup KillMode = "control-group"
	KillMixed        KillMode = "mixed"
	KillProcess      KillMode = "process"
)

// LogRotateMethod is how a rotated log file is let go by the program.
type LogRotateMethod string

// The rotation methods a spec may name.
const (
	// RotateReload moves the file, creates a new one owned by the
	// service's account (logrotate's create), then reloads the service
	// (its reload signal or command). Needs Reload other than none.
	RotateReload LogRotateMethod = "reload"
	// RotateCopyTruncate copies the file and truncates it in place, for
	// programs that cannot reopen their log.
	RotateCopyTruncate LogRotateMethod = "copytruncate"
)

// LogRotate is the logrotate configuration of a service.
type LogRotate struct {
	Files     []string        // paths under /var/log/, ValidPath except for the globs * and ?; at least one
	Method    LogRotateMethod // never empty; default reload when Reload is not none, else copytruncate
	Frequency string          // daily, weekly or monthly; default weekly
	Rotate    int             // rotated files kept, 1 to 1000; default 12
	Compress  bool            // default true (delaycompress too)
	Mode      fs.FileMode     // mode of the new file for RotateReload; default 0640
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
	// Directories (package.directories) are directories the package
	// ships, possibly empty, with their owner, group and mode. May be empty.
	Directories []PackageDir
	// Purge (package.purge) is what purging the package removes beyond
	// the package's own files and the runtime directory, in Purgeable
	// order, each once; default none (the account, data, cache and logs
	// stay). Build refuses an item with nothing declared to remove: state
	// and cache need a state_directory/cache_directory, logs a
	// logs_directory or logrotate, configuration a configuration_directory
	// or package.directories, account a service with a user or group.
	Purge []PurgeItem
}

// PackageDir is one directory a package ships.
type PackageDir struct {
	Path string // absolute clean path, under the same rules as File.Dst
	// Owner is an account name ("" means root): a service's User (the
	// package creates it) or any ValidAccount, which must then exist on
	// the target before the package is installed (the package does not
	// create it; installation fails without it).
	Owner string
	// Group is a group name; default: the Group of the service whose User
	// is Owner, else Owner's own name (root when Owner is "").
	Group string
	// Mode is the permission bits; setgid and sticky allowed, setuid and
	// o+w refused; default 0755.
	Mode fs.FileMode
}

// PurgeItem names something purge may remove.
type PurgeItem string

// The purge items a spec may name.
const (
	PurgeState   PurgeItem = "state"         // the state directories (/var/lib/...)
	PurgeCache   PurgeItem = "cache"         // the cache directories
	PurgeLogs    PurgeItem = "logs"          // the logs directories and LogRotate's files
	PurgeConfig  PurgeItem = "configuration" // configuration directories and package.directories
	PurgeAccount PurgeItem = "account"       // the service account and group the package created
)

// File is one file a package ships.
type File struct {
	Src  string      // path on the build machine, absolute after Build
	Dst  string      // absolute path on the target
	Mode fs.FileMode // permission bits; default 0644, or 0755 for the file at Exec
	// Owner and Group (owner, group) own the file on the target; ""
	// means root. Owner is root or the User of one of the package's
	// services; Group is root or a User or Group of one of them, and
	// defaults to the Group of the service whose User is Owner (root when
	// Owner is ""). The package creates those accounts before unpacking.
	// A file whose Group is not root may be group-writable; o+w is always
	// refused.
	Owner string
	Group string
}

// All returns s followed by the further services of its package.
func (s *Spec) All() []*Spec { return append([]*Spec{s}, s.Extra...) }

// IsTemplate reports whether s is a systemd template service: its Name
// ends in "@" (the unit is NAME@.service, started as NAME@INSTANCE).
func (s *Spec) IsTemplate() bool { return len(s.Name) > 1 && s.Name[len(s.Name)-1] == '@' }

// directoryBases maps each kind to the directory its names are relative to.
var directoryBases = map[DirectoryKind]string{
	DirRuntime: "/run", DirState: "/var/lib", DirCache: "/var/cache", DirLogs: "/var/log", DirConfiguration: "/etc",
}

// DirectoryKinds lists the directory kinds in the order Directories uses.
func DirectoryKinds() []DirectoryKind {
	return []DirectoryKind{DirRuntime, DirState, DirCache, DirLogs, DirConfiguration}
}

// Base is the directory the kind's names are relative to ("/var/lib" for
// state).
func (k DirectoryKind) Base() string { return directoryBases[k] }

// Path is the absolute path of the directory.
func (d Directory) Path() string { return d.Kind.Base() + "/" + d.Name }
