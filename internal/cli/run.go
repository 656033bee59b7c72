package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newRunCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "run", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("run: not implemented yet") }}
}
