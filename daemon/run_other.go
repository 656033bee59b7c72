//go:build !linux

package daemon

import (
	"context"
	"fmt"
)

// Run is only implemented on Linux.
func Run(context.Context, Config, Handlers) error {
	return fmt.Errorf("%w: not supported on this system", ErrConfig)
}
