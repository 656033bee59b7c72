package cli

import (
	"fmt"
	"os"
	"syscall"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"golang.org/x/sys/unix"
)

// execInPlace puts files at descriptors 0, 1, 2… (nil: keep ours for the
// first three) and executes path. It only returns on failure.
func execInPlace(path string, args, env []string, dir string, files []*os.File) error {
	if err := detach.CloseOnExec(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	for i, f := range files {
		if f == nil || int(f.Fd()) == i {
			if f != nil {
				if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil {
					return fmt.Errorf("run: fd %d: %w", i, err)
				}
			}
			continue
		}
		if err := unix.Dup3(int(f.Fd()), i, 0); err != nil {
			return fmt.Errorf("run: fd %d: %w", i, err)
		}
	}
	err := syscall.Exec(path, args, env)
	return fmt.Errorf("run: exec %s: %w", path, err)
}
