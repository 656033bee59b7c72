package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWatchdogIntervalBounds: values the service manager never sends are
// clamped or ignored, never turned into a ping storm or a negative period.
func TestWatchdogIntervalBounds(t *testing.T) {
	tests := []struct {
		usec, pid string
		want      time.Duration
		wantOK    bool
	}{
		{"1", "", 2 * time.Millisecond, true}, // raised to the floor
		{"1999", "", 2 * time.Millisecond, true},
		{"2000", "", 2 * time.Millisecond, true},
		{"2001", "", 2001 * time.Microsecond, true},
		{"9223372036854775", "", 9223372036854775 * time.Microsecond, true}, // the largest that fits
		{"9223372036854776", "", 0, false},                                  // overflows time.Duration
		{"9223372036854775807", "", 0, false},
		{"18446744073709551615", "", 0, false},
		{"18446744073709551616", "", 0, false},
		{"-1", "", 0, false},
		{"+200000", "", 0, false},
		{" 200000", "", 0, false},
		{"200000", "+" + strconv.Itoa(os.Getpid()), 0, false},
		{"200000", "0", 0, false},
		{"200000", "-1", 0, false},
		{"200000", strconv.Itoa(os.Getpid()) + "0000000000000000000000", 0, false},
		{"200000", "18446744073709551616", 0, false},
	}
	for _, tt := range tests {
		n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": tt.usec, "WATCHDOG_PID": tt.pid}))
		if got, ok := n.WatchdogInterval(); got != tt.want || ok != tt.wantOK {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: WatchdogInterval() = %v, %v; want %v, %v", tt.usec, tt.pid, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestRunWatchdogHugeTimeout: a WATCHDOG_USEC whose product with a
// microsecond overflows time.Duration must not make RunWatchdog panic on a
// non-positive ticker period.
func TestRunWatchdogHugeTimeout(t *testing.T) {
	_, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "9223372036854775807"}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.RunWatchdog(ctx)
}

// FuzzWatchdogInterval: never panics; a reported watchdog has an interval
// within [MinWatchdogInterval, the largest time.Duration], and only for a
// WATCHDOG_USEC of decimal digits and a WATCHDOG_PID that is unset or ours.
func FuzzWatchdogInterval(f *testing.F) {
	self := strconv.Itoa(os.Getpid())
	for _, s := range [][2]string{{"200000", ""}, {"1", self}, {"0", ""}, {"9223372036854775807", ""}, {"18446744073709551615", "1"}, {"5", "x"}, {"-3", "-3"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, usec, pid string) {
		n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": usec, "WATCHDOG_PID": pid}))
		d, ok := n.WatchdogInterval()
		if !ok {
			if d != 0 {
				t.Fatalf("not ok but interval %v", d)
			}
			return
		}
		if d < MinWatchdogInterval {
			t.Fatalf("WATCHDOG_USEC=%q: interval %v below the floor %v", usec, d, MinWatchdogInterval)
		}
		if strings.Trim(usec, "0123456789") != "" || (pid != "" && pid != self) {
			t.Fatalf("WATCHDOG_USEC=%q WATCHDOG_PID=%q accepted", usec, pid)
		}
		if us, _ := strconv.ParseUint(usec, 10, 64); d != max(time.Duration(us)*time.Microsecond, MinWatchdogInterval) {
			t.Fatalf("WATCHDOG_USEC=%q: interval %v", usec, d)
		}
	})
}

// FuzzNotifySocket: NOTIFY_SOCKET is an absolute path or an abstract
// name ("@…") that fits in sun_path; anything else is rejected before any
// socket is made, with ErrUnsupportedSocket for other address kinds and
// ErrInvalidValue for a name sun_path cannot carry. Nothing is sent: the
// target only checks the address.
func FuzzNotifySocket(f *testing.F) {
	for _, s := range []string{"/run/systemd/notify", "@/org/freedesktop/systemd1/notify", "relative/sock", "vsock:2:3",
		"/a\x00b", "@a\x00b", "@", "/", strings.Repeat("/x", 60), "@" + strings.Repeat("x", 107)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := notifyAddr(s)
		if err != nil {
			if addr != nil || (!errors.Is(err, ErrUnsupportedSocket) && !errors.Is(err, ErrInvalidValue)) {
				t.Fatalf("notifyAddr(%q) = %v, %v", s, addr, err)
			}
			return
		}
		switch {
		case addr.Name != s || addr.Net != "unixgram":
			t.Fatalf("notifyAddr(%q) = %+v", s, addr)
		case len(s) > sunPathLen, s[0] == '/' && len(s) >= sunPathLen, len(s) < 2:
			t.Fatalf("notifyAddr(%q): length %d accepted", s, len(s))
		case s[0] == '/' && strings.IndexByte(s, 0) >= 0:
			t.Fatalf("notifyAddr(%q): a path with a NUL byte accepted", s)
		case s[0] != '/' && s[0] != '@':
			t.Fatalf("notifyAddr(%q): neither a path nor an abstract name", s)
		}
	})
}

// TestNotifySocketNULRefused: a NOTIFY_SOCKET path with a NUL byte names,
// to the kernel, only what comes before the NUL: the message must not go
// to that other socket.
func TestNotifySocketNULRefused(t *testing.T) {
	conn, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path + "\x00/run/other.sock"}))
	if err := n.Ready(); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Ready() = %v, want ErrInvalidValue", err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if k, err := conn.Read(buf); err == nil {
		t.Errorf("the socket before the NUL got %q", buf[:k])
	}
}

// FuzzListenEnv: never panics; garbage is an ErrInvalidValue or "none
// passed"; a count is only reported for our own pid, within [1, 2^31), with
// names for every descriptor only when LISTEN_FDNAMES names each one.
func FuzzListenEnv(f *testing.F) {
	const self = 4242
	for _, s := range [][4]string{
		{"4242", "2", "web:"}, {"4242", "1", ""}, {"1", "3", ""}, {"4242", "99999999999999999999", ""},
		{"4242", "2147483648", ""}, {"+4242", "1", ""}, {"4242", "-1", ""}, {"4242", "2", "a:b:c"}, {"0", "1", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, pid, fds, names string) {
		getenv := env(map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": fds, "LISTEN_FDNAMES": names})
		n, got, err := listenEnv(getenv, self)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) || n != 0 || got != nil {
				t.Fatalf("listenEnv = %d, %q, %v", n, got, err)
			}
			return
		}
		if n == 0 {
			return
		}
		if pid != strconv.Itoa(self) || n < 0 || n >= 1<<31 || strconv.Itoa(n) != strings.TrimLeft(fds, "0") {
			t.Fatalf("LISTEN_PID=%q LISTEN_FDS=%q: %d descriptors", pid, fds, n)
		}
		if names != "" && len(got) != n {
			t.Fatalf("LISTEN_FDNAMES=%q: %d names for %d descriptors", names, len(got), n)
		}
		if names == "" && len(got) != 0 {
			t.Fatalf("names %q without LISTEN_FDNAMES", got)
		}
		for _, name := range got {
			if name == "" || strings.Contains(name, ":") {
				t.Fatalf("name %q", name)
			}
		}
	})
}

// FuzzListeners runs Listeners for this very process, which holds no
// listening socket: whatever the variables say, it must take over nothing
// and leave every descriptor of ours open on the same file.
func FuzzListeners(f *testing.F) {
	self := strconv.Itoa(os.Getpid())
	for _, s := range [][2]string{{"1", ""}, {"3", "a:b:c"}, {"1000000", ""}, {"2147483647", ""}, {"2", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, fds, names string) {
		before := openFDs(t)
		ls, err := Listeners(env(map[string]string{"LISTEN_PID": self, "LISTEN_FDS": fds, "LISTEN_FDNAMES": names}))
		if err == nil && len(ls) != 0 {
			t.Fatalf("LISTEN_FDS=%q: took over %v in a process without listeners", fds, ls)
		}
		if err != nil && !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrNotListener) {
			t.Fatalf("LISTEN_FDS=%q: %v", fds, err)
		}
		if after := openFDs(t); after != before {
			t.Fatalf("LISTEN_FDS=%q LISTEN_FDNAMES=%q changed our descriptors:\n%s\nto\n%s", fds, names, before, after)
		}
	})
}

// openFDs describes the open descriptors 0-63 of this process by number,
// device and inode (the runtime opens none of its own meanwhile).
func openFDs(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for fd := range 64 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil {
			fmt.Fprintf(&b, "%d=%d:%d ", fd, st.Dev, st.Ino)
		}
	}
	return b.String()
}
