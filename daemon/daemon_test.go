package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{nil: 0, errors.New("x"): 1, &ExitError{Code: 3}: 3} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestListenPrefersActivatedSocket(t *testing.T) {
	activated, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer activated.Close()
	d := &Daemon{listeners: map[string][]net.Listener{"web": {activated}}}
	got, err := d.Listen("echo", "tcp", "127.0.0.1:0")
	if err != nil || got != activated {
		t.Fatalf("the only activated listener was not used: %v, %v", got, err)
	}
	// Handed out once: the next call listens itself.
	own, err := d.Listen("echo", "tcp", "127.0.0.1:0")
	if err != nil || own == activated {
		t.Fatalf("second Listen = %v, %v", own, err)
	}
	own.Close()
	if _, err := d.Listen("echo", "tcp", "256.0.0.1:1"); err == nil {
		t.Fatal("bad address accepted")
	}
}

func TestRunNeedsHandler(t *testing.T) {
	if err := Run(t.Context(), Config{Getenv: func(string) string { return "" }}, Handlers{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Run without Handlers.Run = %v", err)
	}
}

// helperEnv makes the test binary act as a daemon built on Run (see
// TestMain): the tests below send real signals to a real process.
const helperEnv = "DAEMON_TEST_HELPER"

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(helper(name))
	}
	os.Exit(m.Run())
}

// helper runs a foreground daemon logging to HELPER_LOG:
//
//   - "hooks": logs "user1 hook" / "user2 hook" from Handlers.User1 / User2;
//   - "stuck": its Run ignores ctx, ShutdownTimeout is 200ms;
//   - "errno": its Run fails with a wrapped EADDRINUSE.
func helper(name string) int {
	cfg := Config{LogFile: os.Getenv("HELPER_LOG"), ShutdownTimeout: 200 * time.Millisecond}
	h := Handlers{Run: func(ctx context.Context, d *Daemon) error {
		d.Ready()
		<-ctx.Done()
		return nil
	}}
	switch name {
	case "hooks":
		h.User1 = func(_ context.Context, d *Daemon) { d.Logger().Info("user1 hook") }
		h.User2 = func(_ context.Context, d *Daemon) { d.Logger().Info("user2 hook") }
	case "stuck":
		h.Run = func(_ context.Context, d *Daemon) error {
			d.Ready()
			select {} // ignores ctx
		}
	case "errno":
		h.Run = func(context.Context, *Daemon) error {
			return fmt.Errorf("listen: %w", syscall.EADDRINUSE)
		}
	default:
		return 2
	}
	err := Run(context.Background(), cfg, h)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return ExitCode(err)
}

// startHelper starts the helper daemon name with NOTIFY_SOCKET pointing at
// a socket the test reads, and returns the process, the socket and the log
// path. The process is killed at cleanup if the test left it running.
func startHelper(t *testing.T, name string) (*exec.Cmd, *net.UnixConn, string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Run is implemented on Linux only")
	}
	dir := t.TempDir()
	sock, logPath := filepath.Join(dir, "notify.sock"), filepath.Join(dir, "daemon.log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "HELPER_LOG="+logPath, "NOTIFY_SOCKET="+sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, conn, logPath
}

// expectDatagram reads notifications until one starts with want and
// returns it. The deadline only keeps a broken daemon from hanging the test.
func expectDatagram(t *testing.T, conn *net.UnixConn, want string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var seen []string
	for buf := make([]byte, 4096); ; {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("waiting for %q after %q: %v", want, seen, err)
		}
		seen = append(seen, string(buf[:n]))
		if strings.HasPrefix(seen[len(seen)-1], want) {
			return seen[len(seen)-1]
		}
	}
}

// waitLog polls the log until it contains want; the limit only keeps a
// broken daemon from hanging the test.
func waitLog(t *testing.T, path, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("log never got %q:\n%s", want, b)
}

func TestUserSignalHooks(t *testing.T) {
	cmd, conn, logPath := startHelper(t, "hooks")
	expectDatagram(t, conn, "READY=1")
	cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, logPath, "user1 hook")
	cmd.Process.Signal(syscall.SIGUSR2)
	waitLog(t, logPath, "user2 hook")
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon exit: %v", err)
	}
	// Each hook ran once, for its own signal.
	b, _ := os.ReadFile(logPath)
	if n1, n2 := strings.Count(string(b), "user1 hook"), strings.Count(string(b), "user2 hook"); n1 != 1 || n2 != 1 {
		t.Errorf("hooks ran %d and %d times, want once each:\n%s", n1, n2, b)
	}
}

func TestShutdownTimeout(t *testing.T) {
	cmd, conn, logPath := startHelper(t, "stuck")
	expectDatagram(t, conn, "READY=1")
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("exit %v, want status 1", err)
		}
	case <-time.After(10 * time.Second): // 50 times the 200ms timeout
		t.Fatal("still running 10s after SIGTERM: ShutdownTimeout (200ms) never fired")
	}
	if b, _ := os.ReadFile(logPath); !strings.Contains(string(b), ErrShutdownTimeout.Error()) {
		t.Errorf("log lacks %q:\n%s", ErrShutdownTimeout, b)
	}
}

func TestErrnoSentOnFailure(t *testing.T) {
	cmd, conn, logPath := startHelper(t, "errno")
	want := "ERRNO=" + strconv.Itoa(int(syscall.EADDRINUSE))
	msg := expectDatagram(t, conn, "ERRNO=")
	if msg != want {
		t.Errorf("got %q, want %q", msg, want)
	}
	if err := cmd.Wait(); err == nil {
		b, _ := os.ReadFile(logPath)
		t.Errorf("failed daemon exited 0:\n%s", b)
	}
}
