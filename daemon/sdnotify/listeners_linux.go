package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// listenFDsStart is SD_LISTEN_FDS_START, the first passed descriptor.
const listenFDsStart = 3

func listeners(getenv func(string) string) (map[string][]net.Listener, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	n, names, err := listenEnv(getenv, os.Getpid())
	if err != nil {
		return nil, err
	}
	out := map[string][]net.Listener{}
	// Check every descriptor before taking any over: a count that is
	// wrong must not cost the process descriptors it owns.
	for i := range n {
		if err := checkListener(listenFDsStart + i); err != nil {
			return nil, fmt.Errorf("sdnotify: LISTEN_FDS=%d: %w", n, err)
		}
		if len(names) == i {
			names = append(names, UnknownName)
		}
	}
	var errs []error
	for i, name := range names {
		fd := listenFDsStart + i
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), name)
		l, err := net.FileListener(f) // duplicates fd (close-on-exec)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("sdnotify: fd %d (%s): %w: %w", fd, name, ErrNotListener, err))
			continue
		}
		out[name] = append(out[name], l)
	}
	if len(errs) > 0 {
		for _, ls := range out {
			for _, l := range ls {
				l.Close()
			}
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// checkListener reports whether fd is open (ErrInvalidValue if not) and a
// listening socket (ErrNotListener if not), without changing it.
func checkListener(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("fd %d: %w: %w", fd, ErrInvalidValue, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("fd %d: %w: not a socket", fd, ErrNotListener)
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err != nil || v != 1 {
		return fmt.Errorf("fd %d: %w: not listening", fd, ErrNotListener)
	}
	return nil
}
