package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newGenCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "gen", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("gen: not implemented yet") }}
}
