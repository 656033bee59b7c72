// Package spec reads and validates daemon.yaml, the one file that describes a
// service. Every generator (systemd units, LSB init scripts, packages)
// consumes the validated *Spec this package returns and nothing else.
//
// Reading happens in separate steps: Parse decodes the YAML strictly
// (unknown keys and wrong types are errors) and records the line of every
// value; Config.Build fills every unset field in one place and checks every
// value. Load does both. Every problem is reported as an *Error naming the
// file, the line and the field, collected into Errors so that a user sees
// them all at once; a missing required key is named on the line of the
// mapping that lacks it:
//
//	s, err := spec.Load("daemon.yaml")
//	if err != nil {
//		// err is a spec.Errors; each line reads "daemon.yaml:7: exec: must be an absolute path"
//	}
//
// Error lines quote what the user wrote; every character in them that is
// not printable is escaped (\x1b, \n), so a spec cannot forge error lines
// or send terminal escapes.
//
// Build bounds what would overflow or mislead a generator: durations are
// at most MaxDuration (one year); each limit stays within what the kernel,
// systemd and the init script's shell accept (nofile at most 2147483584
// and never infinity, nice 0 to 40, rtprio 0 to 99, every number at most
// 2^63-1); a pidfile may not be in a directory other users can write
// (/tmp, /var/tmp, /dev/shm, /run/lock, /run/user) or that the system
// manages (/dev, /proc, /sys, /run/systemd, ...). Spec.RuntimeDirectory
// says whether the pidfile's directory is the service's own, which is the
// only directory a generator may create, chown or remove for it.
//
// The package is the one owner of the rules and defaults of a spec.
// Spec.Validate holds a Spec built or changed by hand to Build's rules;
// the lexical predicates (ValidName, ValidAccount, ValidEnvName,
// Printable, ValidDescription, ValidPath, ValidInstancePath,
// ValidUnitName, ValidSignal, ValidDocumentation, ValidOverride,
// CanonicalCapability, the Valid methods of the enums, Limit.WellFormed
// and Limit.Ordered) and the lists (Capabilities, HardeningDirectives,
// OverrideKeys, DirectoryKinds, Purgeable, Signals, LimitNames) are what
// generators call instead of writing a rule again. A Spec from Build keeps
// the positions of its values: Spec.Line and Spec.FieldError let a check
// made later (a package file that cannot be read) name file:line without
// reading the YAML again.
//
// Spec v2 (issue 8) adds keys that are all optional, so an old spec
// builds to the same Spec: args_from_env, the five <kind>_directory keys
// with <kind>_directory_mode, read_write_paths, read_only_paths,
// inaccessible_paths, capability_bounding_set, ambient_capabilities,
// umask, hardening_overrides, reload, exec_reload, exec_start_pre,
// stop_timeout: infinity, send_sigkill, kill_mode,
// start_limit_interval_sec, start_limit_burst, documentation, alias,
// logrotate, template services (name: NAME@), further services
// (services: a list of service mappings, every key but package and
// services), and package.files[].owner/group, package.directories and
// package.purge. The Spec fields of the same names say what each means
// and what Build guarantees about it. A further service is an element
// of Spec.Extra with its own defaults and positions; its errors name its
// fields as the file does ("services[1].exec"). In a template service %i
// and %I are systemd's instance specifiers in args, pidfile, directory
// names, description, environment values, exec_start_pre and
// exec_reload; outside a template they are refused there
// (HasInstanceSpecifier), and every other "%" stays literal. A template
// service has no socket activation (listen).
//
// The package does not touch the system: it neither checks that exec exists
// nor looks up users. Values that would reach a shell or a unit file are
// either representable by the generators' quoting or rejected here.
package spec
