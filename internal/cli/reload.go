package cli

import (
	"errors"
	"fmt"

	"github.com/daemonctl/daemonctl/daemon/control"
	"github.com/spf13/cobra"
)

type reloadOptions struct {
	pidfile string
	signal  string
}

func newReloadCmd(Stdio) *cobra.Command {
	var opts reloadOptions
	cmd := &cobra.Command{
		Use:   "reload --pidfile P [--signal S]",
		Short: "Send the reload signal (default HUP) to the daemon holding a pidfile",
		Args:  NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if opts.pidfile == "" {
				return &UsageError{Err: errors.New("reload: --pidfile is required")}
			}
			sig, err := control.ParseSignal(opts.signal)
			if err != nil {
				return &UsageError{Err: fmt.Errorf("reload: --signal: %w", err)}
			}
			if _, err := control.Signal(opts.pidfile, sig); err != nil {
				return fmt.Errorf("reload: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.pidfile, "pidfile", "", "pidfile of the daemon")
	cmd.Flags().StringVar(&opts.signal, "signal", "HUP", "reload signal")
	return cmd
}
