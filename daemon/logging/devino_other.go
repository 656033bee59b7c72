//go:build !linux

package logging

import "os"

// devIno reports nothing where journald does not exist.
func devIno(*os.File) (dev, ino uint64, ok bool) { return 0, 0, false }
