package pidfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestAcquireWriteProbeRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if st, err := Probe(path); err != nil || st.State != Absent {
		t.Fatalf("Probe(absent) = %+v, %v", st, err)
	}
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	// The holder's pid must be live for Running: this test's own.
	self := os.Getpid()
	if err := p.Write(self); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != strconv.Itoa(self)+"\n" {
		t.Fatalf("content %q", b)
	}
	// Reading the file through another descriptor of this process must not
	// drop the lock (it would with a classic POSIX lock).
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != self {
		t.Fatalf("Probe(locked) = %+v, %v", st, err)
	}
	_, err = Acquire(path)
	var re *RunningError
	if !errors.Is(err, ErrAlreadyRunning) || !errors.As(err, &re) || re.PID != self || re.Exited {
		t.Fatalf("second Acquire: %v", err)
	}
	if want := "pidfile: " + path + ": already running (pid " + strconv.Itoa(self) + ")"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pidfile still there: %v", err)
	}
}

func TestStaleTakeover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("4194304\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := Probe(path); err != nil || st.State != Stale || st.PID != 4194304 {
		t.Fatalf("Probe(stale) = %+v, %v", st, err)
	}
	p, err := Acquire(path)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	defer p.Close()
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("stale content kept under the new lock: %q", b)
	}
	if err := RemoveStale(path); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("RemoveStale on a locked file: %v", err)
	}
	// A longer pid written earlier is cut off by a later, shorter one.
	for _, pid := range []int{1234567, 42} {
		if err := p.Write(pid); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != strconv.Itoa(pid)+"\n" {
			t.Fatalf("after Write(%d): %q", pid, b)
		}
	}
}

func TestRemoveStale(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStale(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale pidfile kept: %v", err)
	}
}

func TestSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "d.pid")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(link); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Acquire(symlink) = %v, want ErrInvalid", err)
	}
	if _, err := Probe(link); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Probe(symlink) = %v, want ErrInvalid", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("symlink target modified: %q", b)
	}
}

func TestDirectoryRefused(t *testing.T) {
	if _, err := Acquire(t.TempDir()); err == nil {
		t.Fatal("Acquire(directory) succeeded")
	}
}

// OFD locks conflict between open file descriptions even inside one
// process, so concurrent Acquire calls race for real.
func TestConcurrentAcquireExactlyOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []*File
	busy := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Acquire(path)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, p)
			case errors.Is(err, ErrAlreadyRunning):
				busy++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || busy != 19 {
		t.Fatalf("winners %d, busy %d; want 1 and 19", len(won), busy)
	}
	won[0].Close()
}

// The lock travels with an inherited descriptor and ends with the last
// process holding it.
func TestLockInheritedByChild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	cmd := startHolder(t, path, func(holder int) int { return holder })
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != cmd.Process.Pid {
		t.Fatalf("Probe with child holding the lock = %+v, %v", st, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if st, err := Probe(path); err != nil || st.State != Stale {
		t.Fatalf("Probe after the child died = %+v, %v", st, err)
	}
}

func TestParsePID(t *testing.T) {
	for in, want := range map[string]int{"12\n": 12, " 7 \n": 7, "5": 5, "": 0, "x": 0, "-3\n": 0, "0\n": 0,
		"+5": 0, "4194304": MaxPID, "4194305": 0, "99999999999999999999": 0, "1 2": 0, "3\nx": 3} {
		got, err := parsePID([]byte(in))
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("parsePID(%q) = %d, %v", in, got, err)
		}
	}
}

// startHolder starts `sleep 1000` holding the pidfile's lock through an
// inherited descriptor, as the children of a `daemonctl run --daemon`
// program do, and writes pid into the pidfile.
func startHolder(t *testing.T, path string, pid func(holder int) int) *exec.Cmd {
	t.Helper()
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "1000")
	cmd.ExtraFiles = []*os.File{p.File()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := p.Write(pid(cmd.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	return cmd
}

// exitedPID returns the pid of a process that has exited: reaped when
// reap is true, else left a zombie (our child, reaped at cleanup).
func exitedPID(t *testing.T, reap bool) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if reap {
		cmd.Wait()
		return pid
	}
	t.Cleanup(func() { cmd.Wait() })
	// Wait for the zombie without reaping it.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	return pid
}

// The lock is held by a process that inherited it, but the pid written in
// the file has exited (reaped, or a zombie): orphaned, not running, and
// not taken over either.
func TestOrphanedWhenPIDExited(t *testing.T) {
	for name, reap := range map[string]bool{"reaped": true, "zombie": false} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.pid")
			dead := exitedPID(t, reap)
			holder := startHolder(t, path, func(int) int { return dead })
			st, err := Probe(path)
			if err != nil || st.State != Orphaned || st.PID != dead {
				t.Fatalf("Probe = %+v, %v; want orphaned, pid %d", st, err, dead)
			}
			_, err = Acquire(path)
			var re *RunningError
			if !errors.Is(err, ErrAlreadyRunning) || !errors.As(err, &re) || re.PID != dead || !re.Exited {
				t.Fatalf("Acquire over leftovers: %v", err)
			}
			if !strings.Contains(err.Error(), "pid "+strconv.Itoa(dead)+" is gone") {
				t.Fatalf("message %q", err)
			}
			if err := RemoveStale(path); !errors.Is(err, ErrAlreadyRunning) {
				t.Fatalf("RemoveStale over leftovers: %v", err)
			}
			holder.Process.Kill()
			holder.Wait()
			if st, err := Probe(path); err != nil || st.State != Stale {
				t.Fatalf("Probe after the holder died = %+v, %v", st, err)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[State]string{Absent: "absent", Stale: "stale", Running: "running", Orphaned: "orphaned", State(9): "State(9)"} {
		if got := st.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(st), got, want)
		}
	}
}
