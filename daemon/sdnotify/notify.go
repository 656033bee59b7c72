package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// Errors returned by this package. Check them with errors.Is.
var (
	// ErrUnsupportedSocket means NOTIFY_SOCKET names an address family other
	// than AF_UNIX (for example "vsock:..."), which this package does not speak.
	ErrUnsupportedSocket = errors.New("sdnotify: unsupported NOTIFY_SOCKET address")
	// ErrInvalidValue means an argument or an environment variable had a value
	// the protocol cannot carry (a negative duration or errno; a malformed
	// LISTEN_FDS, LISTEN_PID or LISTEN_FDNAMES, or descriptors that are not
	// there; a NOTIFY_SOCKET that sun_path cannot hold).
	ErrInvalidValue = errors.New("sdnotify: invalid value")
)

// MinWatchdogInterval is the smallest watchdog timeout WatchdogInterval
// reports: a smaller WATCHDOG_USEC (systemd takes WatchdogSec= in
// microseconds, so 1 is possible) is raised to it, so that RunWatchdog pings
// at most once a millisecond instead of in a busy loop. A service manager
// that really wants pings more often than that will see them late.
const MinWatchdogInterval = 2 * time.Millisecond

// sunPathLen is the size of sun_path in struct sockaddr_un on Linux: a path
// must leave room for its terminating NUL, an abstract name ("@…", the "@"
// sent as a NUL byte) may fill it.
const sunPathLen = 108

// sendTimeout bounds how long a message may wait for room in the service
// manager's receive queue, so that a stuck manager cannot hang the daemon.
const sendTimeout = 5 * time.Second

// Notifier sends sd_notify(3) state changes to the service manager named by
// NOTIFY_SOCKET. It captures the environment once, in FromEnv, and never
// changes the process environment.
//
// A nil or zero Notifier is disabled: every method is a no-op that returns nil.
// A Notifier is safe for concurrent use; each message is one datagram sent on
// a socket of its own, so concurrent messages never interleave.
type Notifier struct {
	socket      string // NOTIFY_SOCKET; "" = disabled
	watchdogUS  string // WATCHDOG_USEC as found
	watchdogPID string // WATCHDOG_PID as found
}

// FromEnv returns a Notifier configured from NOTIFY_SOCKET, WATCHDOG_USEC and
// WATCHDOG_PID as read through getenv (nil means os.Getenv). It never returns
// nil; when NOTIFY_SOCKET is unset or empty the Notifier is disabled and its
// methods do nothing and return nil. A NOTIFY_SOCKET starting with "@" names
// a socket in the abstract namespace.
//
// Unlike go-systemd's SdNotify, it does not read the process environment on
// every call and never unsets variables, so children started later still see
// what the service manager passed (systemd only accepts messages from the
// processes its NotifyAccess= setting allows, so this is harmless).
func FromEnv(getenv func(string) string) *Notifier {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Notifier{
		socket:      getenv("NOTIFY_SOCKET"),
		watchdogUS:  getenv("WATCHDOG_USEC"),
		watchdogPID: getenv("WATCHDOG_PID"),
	}
}

// Enabled reports whether NOTIFY_SOCKET was set, that is whether messages are
// actually sent. It is false for a nil Notifier.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// Ready sends READY=1: start-up, or a reload announced with Reloading, is
// complete. It returns nil when disabled and a wrapped socket error when the
// message could not be sent.
func (n *Notifier) Ready() error { return n.Notify(sddaemon.SdNotifyReady) }

// Status sends STATUS=text, a one-line description shown by systemctl status.
// Newlines in text are replaced by spaces because the protocol separates
// assignments with newlines. Errors are as for Ready.
func (n *Notifier) Status(text string) error {
	return n.Notify("STATUS=" + strings.ReplaceAll(text, "\n", " "))
}

// Reloading sends RELOADING=1 together with MONOTONIC_USEC set to the current
// CLOCK_MONOTONIC time in microseconds, as Type=notify-reload services must.
// Send Ready once the reload is done. Errors are as for Ready.
func (n *Notifier) Reloading() error {
	msg := sddaemon.SdNotifyReloading
	if mono := strings.TrimSuffix(sddaemon.SdNotifyMonotonicUsec(), "\n"); mono != "" {
		msg += "\n" + mono
	}
	return n.Notify(msg)
}

// Stopping sends STOPPING=1: the service has begun its shutdown. Errors are
// as for Ready.
func (n *Notifier) Stopping() error { return n.Notify(sddaemon.SdNotifyStopping) }

// ExtendTimeout sends EXTEND_TIMEOUT_USEC: the service manager should allow
// another d (rounded down to microseconds) for the current start, stop or
// runtime phase. A negative d returns an error wrapping ErrInvalidValue.
// Other errors are as for Ready.
func (n *Notifier) ExtendTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("sdnotify: extend timeout by %v: %w", d, ErrInvalidValue)
	}
	return n.Notify("EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(d.Microseconds(), 10))
}

// Errno sends ERRNO=errno, the error number a failing service reports
// (usually sent together with a STATUS= line explaining it). A negative errno
// returns an error wrapping ErrInvalidValue. Other errors are as for Ready.
func (n *Notifier) Errno(errno int) error {
	if errno < 0 {
		return fmt.Errorf("sdnotify: errno %d: %w", errno, ErrInvalidValue)
	}
	return n.Notify("ERRNO=" + strconv.Itoa(errno))
}

// Watchdog sends WATCHDOG=1, one keep-alive ping. It is sent whether or not
// WatchdogInterval reports a watchdog; use RunWatchdog to ping on schedule.
// Errors are as for Ready.
func (n *Notifier) Watchdog() error { return n.Notify(sddaemon.SdNotifyWatchdog) }

// WatchdogInterval returns the watchdog timeout from WATCHDOG_USEC and true
// when the service manager expects pings from this process: WATCHDOG_USEC is
// a positive decimal number and WATCHDOG_PID is unset or the decimal
// os.Getpid(). A timeout below MinWatchdogInterval is raised to it. It
// returns 0 and false otherwise: when the Notifier is disabled, when
// WATCHDOG_PID names another process, and when a variable is malformed
// (signs, spaces, other characters) or WATCHDOG_USEC is too large for a
// time.Duration (about 292 years), none of which the service manager sends.
func (n *Notifier) WatchdogInterval() (time.Duration, bool) {
	if !n.Enabled() || n.watchdogUS == "" {
		return 0, false
	}
	us, err := strconv.ParseUint(n.watchdogUS, 10, 64)
	if err != nil || us == 0 || us > uint64(math.MaxInt64/time.Microsecond) {
		return 0, false
	}
	if n.watchdogPID != "" {
		pid, err := strconv.ParseUint(n.watchdogPID, 10, 64)
		if err != nil || pid != uint64(os.Getpid()) {
			return 0, false
		}
	}
	return max(time.Duration(us)*time.Microsecond, MinWatchdogInterval), true
}

// RunWatchdog sends WATCHDOG=1 at once and then every half watchdog interval
// until ctx is done. It returns at once when WatchdogInterval reports no
// watchdog. Send errors do not stop it: a later ping may succeed, and a
// missed ping is what the service manager's watchdog is there to notice.
// Run it in a goroutine of its own.
func (n *Notifier) RunWatchdog(ctx context.Context) {
	interval, ok := n.WatchdogInterval()
	if !ok {
		return
	}
	period := interval / 2 // at least MinWatchdogInterval/2
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		_ = n.send(ctx, sddaemon.SdNotifyWatchdog)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Notify sends the given assignments (such as "MAINPID=42") as one datagram,
// joined by newlines. Use it for messages without a method of their own. It
// returns nil when disabled or when there is nothing to send; an error
// wrapping ErrUnsupportedSocket when NOTIFY_SOCKET is neither an absolute
// path nor an abstract name ("@…"), relative paths included; an error
// wrapping ErrInvalidValue when it is one that sun_path cannot carry (a
// path of 108 bytes or more or with a NUL byte, an abstract name of more
// than 107 bytes, or "/" or "@" alone); otherwise the wrapped dial or write error (a write that cannot get into the
// manager's full receive queue within 5 s fails with os.ErrDeadlineExceeded).
func (n *Notifier) Notify(assignments ...string) error {
	return n.send(context.Background(), assignments...)
}

// send is Notify with a context that abandons a blocked write when done.
func (n *Notifier) send(ctx context.Context, assignments ...string) error {
	if !n.Enabled() || len(assignments) == 0 {
		return nil
	}
	msg := strings.Join(assignments, "\n")
	addr, err := notifyAddr(n.socket)
	if err != nil {
		return fmt.Errorf("sdnotify: send %s: %w", firstLine(msg), err)
	}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return fmt.Errorf("sdnotify: send %s: %w", firstLine(msg), err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return fmt.Errorf("sdnotify: send %s: %w", firstLine(msg), err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetWriteDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("sdnotify: send %s: %w", firstLine(msg), err)
	}
	return nil
}

// notifyAddr checks NOTIFY_SOCKET and returns its address. A path with a
// NUL byte would name another file to the kernel than it says, so it is
// refused rather than truncated.
func notifyAddr(s string) (*net.UnixAddr, error) {
	switch {
	case !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "@"):
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: %w", s, ErrUnsupportedSocket)
	case len(s) < 2, len(s) > sunPathLen, s[0] == '/' && len(s) == sunPathLen:
		return nil, fmt.Errorf("NOTIFY_SOCKET of %d bytes: %w", len(s), ErrInvalidValue)
	case s[0] == '/' && strings.IndexByte(s, 0) >= 0:
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: NUL byte in a path: %w", s, ErrInvalidValue)
	}
	return &net.UnixAddr{Name: s, Net: "unixgram"}, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
