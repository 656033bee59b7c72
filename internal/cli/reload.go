package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newReloadCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "reload", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("reload: not implemented yet") }}
}
