package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// TODO(placeholder): replaced by the real command.
func newPackageCmd(Stdio) *cobra.Command {
	return &cobra.Command{Use: "package", Short: "not implemented yet", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("package: not implemented yet") }}
}
