// Package spec reads and validates daemon.yaml, the one file that describes a
// service. Every generator (systemd units, LSB init scripts, packages)
// consumes the validated *Spec this package returns and nothing else.
//
// Reading happens in three separate steps: Parse decodes the YAML strictly
// (unknown keys and wrong types are errors), WithDefaults fills every unset
// field in one place, and Validate checks every value. Load does all three.
// Every problem is reported as an *Error naming the file, the line and the
// field, collected into Errors so that a user sees them all at once:
//
//	s, err := spec.Load("daemon.yaml")
//	if err != nil {
//		// err is a spec.Errors; each line reads "daemon.yaml:7: exec: must be an absolute path"
//	}
//
// The package does not touch the system: it neither checks that exec exists
// nor looks up users. Values that would reach a shell or a unit file are
// either representable by the generators' quoting or rejected here.
package spec
