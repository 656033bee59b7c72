package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newStatusCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "status", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("status: not implemented yet") }}
}
