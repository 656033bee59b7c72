package detach

import (
	"errors"
	"os"
	"syscall"
)

// Environment variables of the intermediate stage. They never reach the
// started program.
const (
	envExec  = "DAEMONCTL_DETACH_EXEC"  // path of the program
	envFiles = "DAEMONCTL_DETACH_FILES" // number of descriptors passed on; the status pipe follows them
)

// ErrStage means the intermediate stage failed before it could report
// (it could not be started or died without a word).
var ErrStage = errors.New("detach: intermediate stage failed")

// Command is the program Start runs.
type Command struct {
	// Path is the program to execute; it is not searched in $PATH.
	Path string
	// Args is argv, including argv[0]; empty means []string{Path}.
	Args []string
	// Env is the environment; nil means the caller's environment.
	Env []string
	// Dir is the working directory; "" keeps the caller's.
	Dir string
	// Files become the program's descriptors 0, 1, 2, 3…; a nil entry
	// among the first three means /dev/null, and fewer than three entries
	// are padded with /dev/null. Every other descriptor is closed at exec
	// (Go opens all its descriptors close-on-exec).
	Files []*os.File
	// Credential, when not nil, sets the program's uid, gid and
	// supplementary groups before exec; a failure to set them fails Start.
	Credential *syscall.Credential
}
