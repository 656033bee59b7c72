package readiness

import "golang.org/x/sys/unix"

// writablePipe reports whether fd is open on a pipe (or FIFO) for
// writing, without changing it.
func writablePipe(fd int) bool {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_ACCMODE == unix.O_WRONLY
}
