package pidfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// reviewPOSIXEnv makes the re-executed test binary the POSIX-lock attacker
// of TestReviewProbePOSIXOwnerExited (see posixLockThenLeave).
const reviewPOSIXEnv = "REVIEW_POSIX_LOCK_PATH"

func init() {
	if path := os.Getenv(reviewPOSIXEnv); path != "" {
		os.Exit(posixLockThenLeave(path))
	}
}

// posixLockThenLeave is what a service account can do with the pidfile's
// descriptor that `daemonctl run --daemon --user` hands it as fd 3 (O_RDWR):
// drop the OFD lock, take a classic POSIX write lock (the kernel records the
// locker's pid, A), clone a process B that shares the descriptor table
// (CLONE_FILES, so the lock lives on with B) and leaves A's process group,
// then exit. The kernel keeps naming A as the lock's owner, a pid that is
// free for reuse by any process.
func posixLockThenLeave(path string) int {
	runtime.LockOSThread()
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "review attacker:", err)
		return 1
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk); err != nil {
		fmt.Fprintln(os.Stderr, "review attacker: lock:", err)
		return 1
	}
	// A fork that shares the descriptor table; the child only makes raw
	// system calls (as os/exec's child does before exec).
	r1, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(unix.CLONE_FILES|unix.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 {
		fmt.Fprintln(os.Stderr, "review attacker: clone:", errno)
		return 1
	}
	if r1 == 0 {
		syscall.RawSyscall(syscall.SYS_SETSID, 0, 0, 0)
		for {
			syscall.RawSyscall(syscall.SYS_PAUSE, 0, 0, 0)
		}
	}
	fmt.Printf("%d %d\n", os.Getpid(), r1)
	return 0
}

// A classic POSIX write lock names its owner's pid in F_GETLK, and Probe
// takes that number as proof (State Running) without checking that the
// process holds the lock (HoldsLock), or even exists. The lock outlives the
// pid that took it when another process shares the descriptor table, so the
// service account can leave a pidfile that names a dead pid as Running;
// once any other process (root's) is given that pid, status reports it and
// stop/reload signal it. Reproduced by hand: root's `daemonctl stop`
// SIGTERMed a root `sleep` that reused the number (see the review report).
func TestReviewProbePOSIXOwnerExited(t *testing.T) {
	// The clone's child is re-parented to us, so that we reap it.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	path := filepath.Join(t.TempDir(), "d.pid")
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), reviewPOSIXEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if err := cmd.Wait(); err != nil {
		t.Fatalf("attacker: %v (%q)", err, line)
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		t.Fatalf("attacker said %q", line)
	}
	a, _ := strconv.Atoi(f[0])
	b, _ := strconv.Atoi(f[1])
	t.Cleanup(func() {
		unix.Kill(b, unix.SIGKILL)
		var ws unix.WaitStatus
		unix.Wait4(b, &ws, 0, nil)
	})
	// A has exited and was reaped (cmd.Wait); B holds the lock.
	if err := unix.Kill(a, 0); err != unix.ESRCH {
		t.Fatalf("pid %d should be gone: kill 0 = %v", a, err)
	}
	st, err := Probe(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.State == Running {
		t.Errorf("Probe = %+v: Running for pid %d, which has exited and holds nothing (the lock is pid %d's); "+
			"a process that reuses pid %d would be signalled by stop and reload", st, st.PID, b, a)
	}
}
