package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newLintCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "lint", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("lint: not implemented yet") }}
}
