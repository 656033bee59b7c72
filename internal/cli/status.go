package cli

import (
	"errors"
	"fmt"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/internal/textesc"
	"github.com/spf13/cobra"
)

// LSB exit codes of status (LSB Core, "Init Script Actions").
const (
	statusRunning = 0
	statusDead    = 1 // dead and the pidfile exists
	statusStopped = 3
	statusUnknown = 4
)

type statusOptions struct {
	pidfile string
}

func newStatusCmd(stdio Stdio) *cobra.Command {
	var opts statusOptions
	cmd := &cobra.Command{
		Use:   "status --pidfile P",
		Short: "Report whether the daemon holding a pidfile runs (LSB exit codes 0/1/3/4)",
		Long: `status tests the pidfile's lock, not just the pid in it, so a pid reused by an
unrelated process is never mistaken for the daemon. Exit codes follow LSB:
0 running, 1 dead but the pidfile exists, 3 not running, 4 unknown.

Running (0) means the process named in the pidfile holds its write lock,
seen in /proc (run status as root, or as the daemon's user, to see it). The
status is unknown (4) when the lock is held but not by that process, or
that cannot be checked, when the pidfile holds no pid, and for a pidfile
that is not a regular file or may not be trusted (owned by another user
than root and the caller, or writable by group or others).

The daemon is dead (1) also when its pid has exited while processes it started
still hold the lock through the inherited pidfile descriptor; stop ends them.`,
		Args: NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.pidfile == "" {
				return &UsageError{Err: errors.New("status: --pidfile is required")}
			}
			return runStatus(stdio, opts)
		},
	}
	cmd.Flags().StringVar(&opts.pidfile, "pidfile", "", "pidfile of the daemon")
	return cmd
}

func runStatus(stdio Stdio, opts statusOptions) error {
	st, err := pidfile.Probe(opts.pidfile)
	if err != nil {
		return &ExitError{Code: statusUnknown, Err: fmt.Errorf("daemonctl: status: %w", err)}
	}
	switch st.State {
	case pidfile.Running:
		fmt.Fprintf(stdio.Out, "running (pid %d)\n", st.PID)
		return nil
	case pidfile.Stale:
		fmt.Fprintf(stdio.Out, "dead, but pidfile %s exists\n", textesc.Escape(opts.pidfile))
		return &ExitError{Code: statusDead}
	case pidfile.Orphaned:
		fmt.Fprintf(stdio.Out, "dead (pid %d is gone), but processes it left behind still hold pidfile %s\n", st.PID, textesc.Escape(opts.pidfile))
		return &ExitError{Code: statusDead}
	case pidfile.Unverified:
		// Something holds the lock, but not provably the pid in the file.
		return &ExitError{Code: statusUnknown, Err: fmt.Errorf("daemonctl: status: %w", st.Reason)}
	default:
		fmt.Fprintln(stdio.Out, "not running")
		return &ExitError{Code: statusStopped}
	}
}
