package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// listen binds a unixgram socket under t.TempDir() and returns it and its path.
func listen(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

// recv reads one datagram; the deadline only keeps a broken test from hanging.
func recv(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

func TestMessages(t *testing.T) {
	conn, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path}))
	if !n.Enabled() {
		t.Fatal("Enabled() = false with NOTIFY_SOCKET set")
	}
	tests := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", n.Ready, "READY=1"},
		{"stopping", n.Stopping, "STOPPING=1"},
		{"status", func() error { return n.Status("serving 3 clients") }, "STATUS=serving 3 clients"},
		{"status newline", func() error { return n.Status("a\nb") }, "STATUS=a b"},
		{"extend", func() error { return n.ExtendTimeout(90*time.Second + 1500*time.Nanosecond) }, "EXTEND_TIMEOUT_USEC=90000001"},
		{"errno", func() error { return n.Errno(int(unix.EADDRINUSE)) }, "ERRNO=" + strconv.Itoa(int(unix.EADDRINUSE))},
		{"watchdog", n.Watchdog, "WATCHDOG=1"},
		{"notify", func() error { return n.Notify("MAINPID=42", "STATUS=x") }, "MAINPID=42\nSTATUS=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatal(err)
			}
			if got := recv(t, conn); got != tt.want {
				t.Errorf("datagram = %q, want %q", got, tt.want)
			}
		})
	}
}

func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return ts.Nano() / 1000
}

func TestReloading(t *testing.T) {
	conn, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path}))
	before := monotonicUsec(t)
	if err := n.Reloading(); err != nil {
		t.Fatal(err)
	}
	after := monotonicUsec(t)
	got := recv(t, conn)
	first, second, ok := strings.Cut(got, "\n")
	if !ok || first != "RELOADING=1" || !strings.HasPrefix(second, "MONOTONIC_USEC=") {
		t.Fatalf("datagram = %q, want RELOADING=1\\nMONOTONIC_USEC=<n>", got)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(second, "MONOTONIC_USEC="), 10, 64)
	if err != nil {
		t.Fatalf("MONOTONIC_USEC: %v", err)
	}
	if usec < before || usec > after {
		t.Errorf("MONOTONIC_USEC=%d not within CLOCK_MONOTONIC [%d, %d]", usec, before, after)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := fmt.Sprintf("@daemonctl-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": name}))
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, conn); got != "READY=1" {
		t.Errorf("datagram = %q, want READY=1", got)
	}
}

func TestDisabled(t *testing.T) {
	for name, n := range map[string]*Notifier{
		"unset": FromEnv(env(nil)),
		"nil":   nil,
		"zero":  {},
	} {
		t.Run(name, func(t *testing.T) {
			if n.Enabled() {
				t.Error("Enabled() = true")
			}
			for i, err := range []error{n.Ready(), n.Status("x"), n.Reloading(), n.Stopping(),
				n.ExtendTimeout(time.Second), n.Errno(5), n.Watchdog(), n.Notify("X=1")} {
				if err != nil {
					t.Errorf("call %d: %v, want nil", i, err)
				}
			}
			if d, ok := n.WatchdogInterval(); ok || d != 0 {
				t.Errorf("WatchdogInterval() = %v, %v; want 0, false", d, ok)
			}
			done := make(chan struct{})
			go func() { n.RunWatchdog(context.Background()); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("RunWatchdog did not return when disabled")
			}
		})
	}
	if FromEnv(nil) == nil {
		t.Error("FromEnv(nil) = nil")
	}
}

func TestErrors(t *testing.T) {
	_, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path}))
	if err := n.ExtendTimeout(-time.Second); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("ExtendTimeout(-1s) = %v, want ErrInvalidValue", err)
	}
	if err := n.Errno(-1); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("Errno(-1) = %v, want ErrInvalidValue", err)
	}
	vsock := FromEnv(env(map[string]string{"NOTIFY_SOCKET": "vsock:2:1234"}))
	if err := vsock.Ready(); !errors.Is(err, ErrUnsupportedSocket) {
		t.Errorf("vsock Ready() = %v, want ErrUnsupportedSocket", err)
	}
	missing := FromEnv(env(map[string]string{"NOTIFY_SOCKET": filepath.Join(t.TempDir(), "none.sock")}))
	err := missing.Ready()
	if err == nil || !strings.HasPrefix(err.Error(), "sdnotify: send READY=1") {
		t.Errorf("Ready() to a missing socket = %v, want a wrapped dial error", err)
	}
}

func TestConcurrent(t *testing.T) {
	conn, path := listen(t)
	n := FromEnv(env(map[string]string{"NOTIFY_SOCKET": path}))
	const senders = 32
	// Read while sending: a full receive queue blocks senders.
	seen := make(chan map[string]bool)
	go func() {
		m := map[string]bool{}
		for range senders {
			m[recv(t, conn)] = true
		}
		seen <- m
	}()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i := range senders {
		wg.Go(func() { errs <- n.Status("sender " + strconv.Itoa(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := <-seen
	for i := range senders {
		if want := "STATUS=sender " + strconv.Itoa(i); !got[want] {
			t.Errorf("missing or garbled datagram %q", want)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name   string
		env    map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"unset", map[string]string{"NOTIFY_SOCKET": "/x"}, 0, false},
		{"no pid", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "200000"}, 200 * time.Millisecond, true},
		{"our pid", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": self}, 30 * time.Second, true},
		{"other pid", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"}, 0, false},
		{"bad pid", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "me"}, 0, false},
		{"zero", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "0"}, 0, false},
		{"garbage", map[string]string{"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1s"}, 0, false},
		{"no socket", map[string]string{"WATCHDOG_USEC": "200000"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromEnv(env(tt.env)).WatchdogInterval()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("WatchdogInterval() = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestRunWatchdog checks that pings arrive every half WATCHDOG_USEC: the
// median gap between pings received on a real socket must lie between a
// quarter and three quarters of the watchdog timeout. The margins are wide on
// purpose (this is a rate check, not a performance budget): pinging every
// full interval, or in a tight loop, fails it; a slow machine does not.
func TestRunWatchdog(t *testing.T) {
	conn, path := listen(t)
	const watchdog = 200 * time.Millisecond
	n := FromEnv(env(map[string]string{
		"NOTIFY_SOCKET": path, "WATCHDOG_USEC": strconv.FormatInt(watchdog.Microseconds(), 10),
		"WATCHDOG_PID": strconv.Itoa(os.Getpid()),
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.RunWatchdog(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// Reading while pinging also keeps the sender from blocking on a full queue.
	var arrivals []time.Time
	for len(arrivals) < 7 {
		if got := recv(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("datagram = %q, want WATCHDOG=1", got)
		}
		arrivals = append(arrivals, time.Now())
	}
	gaps := make([]time.Duration, 0, len(arrivals)-1)
	for i := 1; i < len(arrivals); i++ {
		gaps = append(gaps, arrivals[i].Sub(arrivals[i-1]))
	}
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	if median < watchdog/4 || median > watchdog*3/4 {
		t.Errorf("median gap between pings %v (gaps %v), want about %v (half of WATCHDOG_USEC %v)", median, gaps, watchdog/2, watchdog)
	}
}

func TestRunWatchdogOtherPID(t *testing.T) {
	conn, path := listen(t)
	n := FromEnv(env(map[string]string{
		"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": strconv.Itoa(os.Getppid()),
	}))
	done := make(chan struct{})
	go func() { n.RunWatchdog(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunWatchdog kept running for another process's watchdog")
	}
	if err := conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if k, err := conn.Read(buf); err == nil {
		t.Errorf("got datagram %q, want none", buf[:k])
	}
}
