//go:build !linux

package supervise

import (
	"context"
	"fmt"
	"syscall"
)

// Run is only implemented on Linux.
func Run(context.Context, Config) (Exit, error) {
	return Exit{}, fmt.Errorf("%w: not supported on this system", ErrConfig)
}

func sigName(s syscall.Signal) string { return fmt.Sprintf("signal %d", int(s)) }
