//go:build !linux

package control

import (
	"context"
	"syscall"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
)

// Signal returns pidfile.ErrUnsupported outside Linux.
func Signal(string, syscall.Signal) (int, error) { return 0, pidfile.ErrUnsupported }

// Stop returns pidfile.ErrUnsupported outside Linux.
func Stop(context.Context, string, StopOptions) (StopResult, error) {
	return StopResult{}, pidfile.ErrUnsupported
}

// Abort removes the pidfile and returns pidfile.ErrUnsupported outside
// Linux.
func Abort(_ context.Context, pf *pidfile.File, _ int) error {
	pf.Remove()
	return pidfile.ErrUnsupported
}
