package logfile

import "errors"

// Mode is the permission of a log file Open creates, before the umask.
const Mode = 0o640

// ErrUnsafe means the path names something Open will not write to: a
// symbolic link, a file with more than one hard link, anything but a
// regular file, or a file owned by a user other than root, the caller and
// the service user. The wrapping error names the path and the reason.
var ErrUnsafe = errors.New("logfile: unsafe log file")
