package sdnotify

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// helperEnv selects the role of a re-executed test binary:
//   - "shim" sets LISTEN_PID to its own pid in the real environment and
//     execs the binary again as "child", keeping its pid and descriptors,
//     the way systemd sets LISTEN_PID between fork and exec;
//   - "child" calls Listeners(os.Getenv), reports what it got as one JSON
//     line, then accepts one connection per listener and greets it.
const helperEnv = "SDNOTIFY_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "shim":
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
		os.Setenv(helperEnv, "child")
		exe, err := os.Executable()
		if err == nil {
			err = syscall.Exec(exe, os.Args, os.Environ())
		}
		fmt.Fprintln(os.Stderr, "shim:", err)
		os.Exit(2)
	case "child":
		os.Exit(listenersChild())
	}
	os.Exit(m.Run())
}

type childReport struct {
	Addrs          map[string][]string
	Err            string
	NotListener    bool
	InvalidValue   bool
	OwnFD          int  // a descriptor the child opened before Listeners
	OwnFDIntact    bool // still open on the same file afterwards
	EnvStillThere  bool
	SecondCallSize int
}

func listenersChild() int {
	// A descriptor of our own, numbered right after the passed ones:
	// Listeners must leave it alone whatever LISTEN_FDS says.
	own, err := os.Open(os.DevNull)
	if err != nil {
		return 1
	}
	var before syscall.Stat_t
	if err := syscall.Fstat(int(own.Fd()), &before); err != nil {
		return 1
	}
	ls, err := Listeners(os.Getenv)
	rep := childReport{Addrs: map[string][]string{}, EnvStillThere: os.Getenv("LISTEN_FDS") != "", OwnFD: int(own.Fd())}
	if err != nil {
		rep.Err = err.Error()
		rep.NotListener = errors.Is(err, ErrNotListener)
		rep.InvalidValue = errors.Is(err, ErrInvalidValue)
	}
	var after syscall.Stat_t
	rep.OwnFDIntact = syscall.Fstat(rep.OwnFD, &after) == nil && after.Dev == before.Dev && after.Ino == before.Ino
	for name, l := range ls {
		for _, x := range l {
			rep.Addrs[name] = append(rep.Addrs[name], x.Addr().Network()+" "+x.Addr().String())
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	// Accept on every listener at once: the parent dials them in its own order.
	var wg sync.WaitGroup
	var failed atomic.Bool
	for name, l := range ls {
		for _, x := range l {
			wg.Go(func() {
				c, err := x.Accept()
				if err != nil {
					fmt.Fprintln(os.Stderr, "accept:", err)
					failed.Store(true)
					return
				}
				fmt.Fprintf(c, "hello from %s\n", name)
				c.Close()
			})
		}
	}
	wg.Wait()
	if failed.Load() {
		return 1
	}
	return 0
}

// runChild starts the test binary through the shim with files as fds 3….
func runChild(t *testing.T, files []*os.File, extraEnv ...string) (*exec.Cmd, *bufio.Reader) {
	return runChildCount(t, files, len(files), extraEnv...)
}

// runChildCount is runChild with LISTEN_FDS=count, whatever len(files).
func runChildCount(t *testing.T, files []*os.File, count int, extraEnv ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=shim", "LISTEN_FDS="+strconv.Itoa(count))
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.ExtraFiles = files
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

func readReport(t *testing.T, r *bufio.Reader) childReport {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("child report: %v", err)
	}
	var rep childReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("child report %q: %v", line, err)
	}
	return rep
}

// TestListenersActivated passes a TCP and a unix listener to a re-executed
// test binary exactly as systemd would (fds 3 and 4, LISTEN_PID equal to the
// child's pid in its real environment) and talks to both through the child.
func TestListenersActivated(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	sockPath := filepath.Join(t.TempDir(), "ctl.sock")
	unixL, err := net.Listen("unix", sockPath)
	if err != nil {
		t.Fatal(err)
	}
	defer unixL.Close()
	tcpF, err := tcp.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer tcpF.Close()
	unixF, err := unixL.(*net.UnixListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer unixF.Close()

	cmd, out := runChild(t, []*os.File{tcpF, unixF}, "LISTEN_FDNAMES=web:")
	rep := readReport(t, out)
	if rep.Err != "" {
		t.Fatalf("child: Listeners: %s", rep.Err)
	}
	want := map[string][]string{
		"web":       {"tcp " + tcp.Addr().String()},
		UnknownName: {"unix " + sockPath},
	}
	if fmt.Sprint(rep.Addrs) != fmt.Sprint(want) {
		t.Errorf("child got %v, want %v", rep.Addrs, want)
	}
	if !rep.EnvStillThere {
		t.Error("Listeners unset LISTEN_FDS in the process environment")
	}
	// Nobody in this process accepts: a greeting proves the child's
	// listener is the passed socket.
	for _, dial := range [][3]string{{"tcp", tcp.Addr().String(), "web"}, {"unix", sockPath, UnknownName}} {
		c, err := net.DialTimeout(dial[0], dial[1], 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if want := "hello from " + dial[2] + "\n"; err != nil || string(b) != want {
			t.Errorf("%s: read %q, %v; want %q", dial[0], b, err, want)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("child: %v", err)
	}
}

func TestListenersNotListener(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	cmd, out := runChild(t, []*os.File{pr}, "LISTEN_FDNAMES=pipe")
	rep := readReport(t, out)
	if !rep.NotListener || len(rep.Addrs) != 0 {
		t.Errorf("child got %v, err %q; want ErrNotListener and no listeners", rep.Addrs, rep.Err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("child: %v", err)
	}
}

func TestListenersNone(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name    string
		env     map[string]string
		wantErr error
	}{
		{"unset", nil, nil},
		{"other pid", map[string]string{"LISTEN_PID": "1", "LISTEN_FDS": "2"}, nil},
		{"no fds", map[string]string{"LISTEN_PID": self}, nil},
		{"zero fds", map[string]string{"LISTEN_PID": self, "LISTEN_FDS": "0"}, nil},
		{"bad pid", map[string]string{"LISTEN_PID": "x", "LISTEN_FDS": "1"}, ErrInvalidValue},
		{"bad fds", map[string]string{"LISTEN_PID": self, "LISTEN_FDS": "two"}, ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Listeners(env(tt.env))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got == nil || len(got) != 0) {
				t.Errorf("Listeners() = %v, want an empty map", got)
			}
		})
	}
}

// TestListenersCountBeyondPassed: LISTEN_FDS counts more descriptors than
// were passed (one listener at fd 3; the runtime's descriptors and our own
// file after it): an error, and no descriptor taken over or closed, our
// own file and the runtime's included (the child lives to report).
func TestListenersCountBeyondPassed(t *testing.T) {
	f := loopbackListenerFile(t)
	for _, count := range []int{2, 40, 1 << 30} {
		cmd, out := runChildCount(t, []*os.File{f}, count)
		rep := readReport(t, out)
		if !(rep.InvalidValue || rep.NotListener) || len(rep.Addrs) != 0 || !rep.OwnFDIntact {
			t.Errorf("LISTEN_FDS=%d with one passed: got %v, err %q, own fd %d intact %v; want ErrInvalidValue or ErrNotListener, nothing taken, own fd intact",
				count, rep.Addrs, rep.Err, rep.OwnFD, rep.OwnFDIntact)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// TestListenersNamesMismatch: LISTEN_FDNAMES must name every passed
// descriptor (sd_listen_fds_with_names refuses a mismatch too).
func TestListenersNamesMismatch(t *testing.T) {
	f := loopbackListenerFile(t)
	for _, names := range []string{"a:b", "a:b:c:"} {
		cmd, out := runChild(t, []*os.File{f}, "LISTEN_FDNAMES="+names)
		if rep := readReport(t, out); !rep.InvalidValue || len(rep.Addrs) != 0 {
			t.Errorf("LISTEN_FDNAMES=%q for one descriptor: got %v, err %q; want ErrInvalidValue", names, rep.Addrs, rep.Err)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// loopbackListenerFile is a TCP listener on loopback as a file to pass to a
// child; the listener and the file are closed when the test ends.
func loopbackListenerFile(t *testing.T) *os.File {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
