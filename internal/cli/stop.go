package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/daemonctl/daemonctl/daemon/control"
	"github.com/daemonctl/daemonctl/internal/textesc"
	"github.com/spf13/cobra"
)

type stopOptions struct {
	pidfile string
	timeout time.Duration
	signal  string
}

func newStopCmd(stdio Stdio) *cobra.Command {
	var opts stopOptions
	cmd := &cobra.Command{
		Use:   "stop --pidfile P [--timeout D] [--signal S]",
		Short: "Stop the daemon holding a pidfile, escalating to SIGKILL after a timeout",
		Long: `stop sends the signal (default TERM) to the daemon whose pidfile is locked, waits
for it to exit (on a pidfd, without polling) and sends SIGKILL when it is still
alive after the timeout. It exits 0 when the daemon stopped or was not running,
and removes a stale pidfile. When it returns 0 the process is gone.

Processes the daemon started may hold the pidfile's lock after it exited (they
inherited the descriptor). stop then sends the same signal to the daemon's
process group, waits for the lock within the same timeout, and sends SIGKILL to
the group after it; this also ends what a daemon killed earlier left behind.
Leftovers outside the daemon's process group make stop fail and keep the pidfile.

stop signals only a process it has seen hold the pidfile's write lock (in
/proc, so run it as root or as the daemon's user). It fails, signalling
nothing, when the pidfile is not a regular file, is owned by another user
than root and the caller or is writable by group or others, or is locked by
something other than the pid written in it. After SIGKILL it waits a bounded
time (5s) and fails if the process is still there.`,
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.pidfile == "" {
				return &UsageError{Err: errors.New("stop: --pidfile is required")}
			}
			sig, err := control.ParseSignal(opts.signal)
			if err != nil {
				return &UsageError{Err: fmt.Errorf("stop: --signal: %w", err)}
			}
			if opts.timeout < 0 {
				return &UsageError{Err: errors.New("stop: --timeout must not be negative")}
			}
			timeout := opts.timeout
			if timeout == 0 {
				timeout = -1 // --timeout 0: no grace period
			}
			res, err := control.Stop(cmd.Context(), opts.pidfile, control.StopOptions{Signal: sig, Timeout: timeout})
			if err != nil {
				return fmt.Errorf("stop: %w", err)
			}
			reportStop(stdio, opts, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.pidfile, "pidfile", "", "pidfile of the daemon")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", control.DefaultStopTimeout, "grace period before SIGKILL (0: kill at once)")
	cmd.Flags().StringVar(&opts.signal, "signal", "TERM", "signal asking the daemon to stop")
	return cmd
}

// reportStop says on stderr what stop did beyond a plain stop.
func reportStop(stdio Stdio, opts stopOptions, res control.StopResult) {
	killed := ""
	if res.Killed {
		killed = fmt.Sprintf(" (SIGKILL after %s)", opts.timeout)
	}
	switch {
	case res.Group != 0 && res.PID == 0:
		fmt.Fprintf(stdio.Err, "pid %d was gone; stopped its process group %d, which still held %s%s\n", res.Group, res.Group, textesc.Escape(opts.pidfile), killed)
	case res.Group != 0:
		fmt.Fprintf(stdio.Err, "stopped pid %d and its process group %d, which still held %s%s\n", res.PID, res.Group, textesc.Escape(opts.pidfile), killed)
	case res.PID == 0 && res.RemovedStale:
		fmt.Fprintf(stdio.Err, "not running; removed stale pidfile %s\n", textesc.Escape(opts.pidfile))
	case res.PID == 0:
		fmt.Fprintln(stdio.Err, "not running")
	case res.Killed && res.Descendants > 0:
		fmt.Fprintf(stdio.Err, "killed pid %d and %d processes below it%s\n", res.PID, res.Descendants, killed)
	case res.Killed:
		fmt.Fprintf(stdio.Err, "killed pid %d%s\n", res.PID, killed)
	}
}
