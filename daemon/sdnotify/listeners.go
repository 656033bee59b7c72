package sdnotify

import (
	"errors"
	"net"
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
// LISTEN_FDS is unset or LISTEN_PID is not this process. It returns an error
// wrapping ErrInvalidValue for a malformed LISTEN_PID or LISTEN_FDS, and one
// wrapping ErrNotListener (closing every descriptor it took over) when a
// passed descriptor is not a stream listener.
//
// The descriptors 3 … 3+LISTEN_FDS-1 are taken over: each is replaced by the
// returned listener's own close-on-exec descriptor and closed, so call
// Listeners at most once per process. It does not unset the variables (a
// child sees a LISTEN_PID that is not its own and ignores them).
//
// go-systemd's activation package reads and unsets the process environment
// itself and names unnamed sockets "LISTEN_FD_<n>"; this function exists to
// take the environment as an argument and to follow systemd's naming.
func Listeners(getenv func(string) string) (map[string][]net.Listener, error) {
	return listeners(getenv)
}
