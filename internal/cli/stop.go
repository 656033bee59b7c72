package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newStopCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "stop", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("stop: not implemented yet") }}
}
