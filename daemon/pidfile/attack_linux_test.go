package pidfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv makes the re-executed test binary act as the attacker: it
// opens the file named by the environment, takes the lock asked for,
// optionally writes a pid, says "ready" and holds on until its standard
// input closes.
const helperEnv = "PIDFILE_TEST_ATTACKER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(attacker(mode, os.Getenv("ATTACK_PATH"), os.Getenv("ATTACK_PID")))
	}
	os.Exit(m.Run())
}

// attacker is the helper process: mode "read" takes an OFD read lock on an
// existing file; "plant" creates the file (mode 0666), writes pid into it
// and takes an OFD write lock.
func attacker(mode, path, pid string) int {
	flags, typ := unix.O_RDONLY, int16(unix.F_RDLCK)
	if mode == "plant" {
		flags, typ = unix.O_RDWR|unix.O_CREAT, unix.F_WRLCK
	}
	unix.Umask(0)
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o666)
	if err != nil {
		fmt.Fprintln(os.Stderr, "attacker:", err)
		return 1
	}
	if pid != "" {
		if _, err := unix.Pwrite(fd, []byte(pid+"\n"), 0); err != nil {
			fmt.Fprintln(os.Stderr, "attacker:", err)
			return 1
		}
	}
	lk := wholeFile(typ)
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		fmt.Fprintln(os.Stderr, "attacker: lock:", err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// nobody is the unprivileged attacker's account.
const nobody = 65534

// needRoot skips a test that plays root against the user nobody.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the attacker runs as nobody)")
	}
}

// attackDir returns a directory that nobody may write in (mode, e.g.
// 0o1777 or 0o777), reachable by nobody: the test's temporary directories
// are opened up to 0755 on the way.
func attackDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(base, "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// attackerBinary returns a copy of the test binary that nobody may run
// (go test builds it in a directory only we can enter).
func attackerBinary(t *testing.T) string {
	t.Helper()
	dir := attackDir(t, 0o755)
	bin := filepath.Join(dir, "attacker")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// attack runs the attacker as nobody against path and returns once it
// holds its lock. It ends at cleanup.
func attack(t *testing.T, mode, path string, pid int) {
	t.Helper()
	cmd := exec.Command(attackerBinary(t), "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "ATTACK_PATH="+path)
	if pid != 0 {
		cmd.Env = append(cmd.Env, "ATTACK_PID="+strconv.Itoa(pid))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("attacker did not get its lock: %q, %v", line, err)
	}
}

// victim starts a process standing for whatever reuses a dead daemon's
// pid (or pid 1): it must never be signalled.
func victim(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// A read lock is not a daemon's lock: nobody can take one on any pidfile
// it may read, such as a stale root-owned one whose pid now names an
// unrelated process.
func TestReadLockIsNotADaemon(t *testing.T) {
	needRoot(t)
	path := filepath.Join(attackDir(t, 0o755), "d.pid")
	v := victim(t)
	if err := os.WriteFile(path, []byte(strconv.Itoa(v.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	attack(t, "read", path, 0)
	st, err := Probe(path)
	if err != nil || st.State != Stale {
		t.Fatalf("Probe with nobody's read lock = %+v, %v; want stale", st, err)
	}
	// A stale pidfile a reader keeps locked does not stop a new daemon
	// either: it is replaced.
	p, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire over nobody's read lock: %v", err)
	}
	defer p.Remove()
	if err := p.Write(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if st, err := Probe(path); err != nil || st.State != Running || st.PID != os.Getpid() {
		t.Fatalf("Probe after the takeover = %+v, %v", st, err)
	}
}

// A pidfile that another user planted (in a directory it may write) is
// neither trusted by Probe nor reused by Acquire, even when that user
// holds a write lock on it and wrote a live pid into it.
func TestPlantedPidfileNotTrusted(t *testing.T) {
	needRoot(t)
	for name, mode := range map[string]os.FileMode{"sticky": 0o1777, "open": 0o777} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(attackDir(t, mode), "d.pid")
			v := victim(t)
			attack(t, "plant", path, v.Process.Pid)
			var planted unix.Stat_t
			if err := unix.Lstat(path, &planted); err != nil {
				t.Fatal(err)
			}
			if _, err := Probe(path); !errors.Is(err, ErrUntrusted) {
				t.Fatalf("Probe(planted) = %v, want ErrUntrusted", err)
			}
			p, err := Acquire(path)
			if err != nil {
				t.Fatalf("Acquire(planted) = %v", err)
			}
			defer p.Remove()
			var st unix.Stat_t
			if err := unix.Lstat(path, &st); err != nil {
				t.Fatal(err)
			}
			if st.Ino == planted.Ino || st.Uid != 0 || st.Mode&0o022 != 0 {
				t.Fatalf("pidfile reused or not ours: ino %d (planted %d), uid %d, mode %o", st.Ino, planted.Ino, st.Uid, st.Mode&0o7777)
			}
		})
	}
}

// The pid written in a locked pidfile must be the process that holds the
// lock: here the lock is held by a leftover child and the pid names an
// unrelated live process (a reused number).
func TestLockedPIDMustHoldTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	v := victim(t)
	startHolder(t, path, func(int) int { return v.Process.Pid })
	st, err := Probe(path)
	if err != nil || st.State == Running {
		t.Fatalf("Probe = %+v, %v; want anything but running", st, err)
	}
	if st.State != Unverified || st.PID != v.Process.Pid || st.Reason == nil {
		t.Fatalf("Probe = %+v; want unverified, pid %d, with a reason", st, v.Process.Pid)
	}
}

// bounded runs f and fails the test when it has not returned within a
// generous deadline (a FIFO at the pidfile path used to hang open).
func bounded(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// A FIFO (or a device, or a directory) at the pidfile path is refused at
// once, never opened in a way that blocks.
func TestNonRegularPidfileRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pid")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, release an open that blocks on the FIFO.
	t.Cleanup(func() {
		if fd, err := unix.Open(fifo, unix.O_RDWR|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
		}
	})
	for _, path := range []string{fifo, "/dev/null", dir} {
		bounded(t, "Probe("+path+")", func() {
			if _, err := Probe(path); !errors.Is(err, ErrInvalid) {
				t.Errorf("Probe(%s) = %v, want ErrInvalid", path, err)
			}
		})
		bounded(t, "Acquire("+path+")", func() {
			if _, err := Acquire(path); !errors.Is(err, ErrInvalid) {
				t.Errorf("Acquire(%s) = %v, want ErrInvalid", path, err)
			}
		})
	}
}
