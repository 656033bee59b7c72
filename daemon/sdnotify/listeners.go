package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// UnknownName is the key Listeners uses for a socket that LISTEN_FDNAMES
// does not name, as sd_listen_fds_with_names(3) does.
const UnknownName = "unknown"

// ErrNotListener means a socket passed by the service manager is not a
// listening stream socket (for example a datagram socket or a FIFO), so it
// cannot be returned as a net.Listener.
var ErrNotListener = errors.New("sdnotify: passed descriptor is not a stream listener")

// Listeners returns the sockets passed by socket activation (LISTEN_PID,
// LISTEN_FDS, LISTEN_FDNAMES, read through getenv; nil means os.Getenv),
// keyed by their name from LISTEN_FDNAMES, or UnknownName for unnamed ones.
// Several sockets may share a name; their order is that of the descriptors.
//
// It returns an empty map, touching no descriptor, when LISTEN_PID or
// LISTEN_FDS is unset or LISTEN_PID is not this process. It returns an
// error wrapping ErrInvalidValue, touching no descriptor, when LISTEN_PID
// or LISTEN_FDS is not a decimal number, when LISTEN_FDNAMES is set and
// does not hold one name per descriptor, or when a descriptor in 3 …
// 3+LISTEN_FDS-1 is not open (the count is more than was passed); and one
// wrapping ErrNotListener, touching no descriptor, when one of them is not
// a listening socket. The descriptors are checked in order and the first
// bad one ends the check, so a huge LISTEN_FDS costs no more than the
// descriptors actually open.
//
// Once all are checked, the descriptors 3 … 3+LISTEN_FDS-1 are taken
// over: each is replaced by the returned listener's own close-on-exec
// descriptor and closed, so call Listeners at most once per process. It
// does not unset the variables (a child sees a LISTEN_PID that is not its
// own and ignores them).
//
// go-systemd's activation package reads and unsets the process environment
// itself and names unnamed sockets "LISTEN_FD_<n>"; this function exists to
// take the environment as an argument and to follow systemd's naming.
func Listeners(getenv func(string) string) (map[string][]net.Listener, error) {
	return listeners(getenv)
}

// listenEnv reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES for the
// process pid and returns how many descriptors were passed to it (0 when
// none, or they are another process's) and one name for each.
func listenEnv(getenv func(string) string, pid int) (int, []string, error) {
	pidStr, fdsStr := getenv("LISTEN_PID"), getenv("LISTEN_FDS")
	if pidStr == "" || fdsStr == "" {
		return 0, nil, nil
	}
	p, err := strconv.ParseUint(pidStr, 10, 63)
	if err != nil || p == 0 {
		return 0, nil, fmt.Errorf("sdnotify: LISTEN_PID=%q: %w", pidStr, ErrInvalidValue)
	}
	if p != uint64(pid) {
		return 0, nil, nil
	}
	// 31 bits: 3+n fits an int, and no process has that many descriptors.
	n, err := strconv.ParseUint(fdsStr, 10, 31)
	if err != nil {
		return 0, nil, fmt.Errorf("sdnotify: LISTEN_FDS=%q: %w", fdsStr, ErrInvalidValue)
	}
	if n == 0 {
		return 0, nil, nil
	}
	names := make([]string, 0, min(n, 64))
	if s := getenv("LISTEN_FDNAMES"); s != "" {
		names = strings.Split(s, ":")
		if uint64(len(names)) != n {
			return 0, nil, fmt.Errorf("sdnotify: LISTEN_FDNAMES has %d names for LISTEN_FDS=%d: %w", len(names), n, ErrInvalidValue)
		}
	}
	// Without LISTEN_FDNAMES the names are filled in as the descriptors
	// are checked, so that a huge count allocates nothing up front.
	for i, name := range names {
		if name == "" {
			names[i] = UnknownName
		}
	}
	return int(n), names, nil
}
