package hostile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Nobody is the attacker's uid and gid.
const Nobody = 65534

// Mode is what the attacker does to the file.
type Mode string

const (
	// Read opens an existing file read-only and takes an OFD read lock,
	// which anyone who may read a file can.
	Read Mode = "read"
	// Plant creates the file (mode 0666) in a directory nobody may write,
	// writes the pid into it and takes an OFD write lock.
	Plant Mode = "plant"
)

// env selects the attacker in the re-executed test binary.
const env = "HOSTILE_MODE"

// Serve runs the attacker when this process is one (see Lock) and returns
// its exit code and true; otherwise it returns 0, false at once.
func Serve() (int, bool) {
	mode := os.Getenv(env)
	if mode == "" {
		return 0, false
	}
	return serve(Mode(mode), os.Getenv("HOSTILE_PATH"), os.Getenv("HOSTILE_PID")), true
}

func serve(mode Mode, path, pid string) int {
	flags, typ := unix.O_RDONLY, int16(unix.F_RDLCK)
	if mode == Plant {
		flags, typ = unix.O_RDWR|unix.O_CREAT, unix.F_WRLCK
	}
	unix.Umask(0)
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o666)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	if pid != "" {
		if _, err := unix.Pwrite(fd, []byte(pid+"\n"), 0); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			return 1
		}
	}
	lk := unix.Flock_t{Type: typ, Whence: io.SeekStart}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		fmt.Fprintln(os.Stderr, "hostile: lock:", err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // hold on until the test ends
	return 0
}

// NeedRoot skips a test that plays root against nobody when not root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the attacker runs as nobody)")
	}
}

// Dir returns a new directory owned by nobody with mode (0o1777, 0o777,
// 0o755…), which nobody can reach: the test's temporary directories on
// the way are opened up to 0755.
func Dir(t testing.TB, mode os.FileMode) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(base, "hostile")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, Nobody, Nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Lock runs the attacker as nobody against path (pid, when not 0, is what
// Plant writes) and returns once it holds its lock; it lets go at the end
// of the test. The attacker runs from a copy of the test binary, which go
// test builds in a directory only root may enter.
func Lock(t testing.TB, mode Mode, path string, pid int) {
	t.Helper()
	bin := filepath.Join(Dir(t, 0o755), "attacker")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+string(mode), "HOSTILE_PATH="+path)
	if pid != 0 {
		cmd.Env = append(cmd.Env, "HOSTILE_PID="+strconv.Itoa(pid))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: Nobody, Gid: Nobody}}
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
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("attacker did not get its lock: %q, %v", line, err)
	}
}
