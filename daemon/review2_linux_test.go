package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// review2SwapEnv makes the re-executed test binary the attacker of
// TestReview2RuntimeDirGivesAwaySwappedRootDir: as nobody, in the service
// account's directory it may write, it waits (inotify) for root to create
// the pidfile's directory, moves it aside and moves in its place a
// directory of root's that sits beside it; after a moment it puts
// everything back.
const review2SwapEnv = "REVIEW2_SWAP_HOME"

func init() {
	home := os.Getenv(review2SwapEnv)
	if home == "" {
		return
	}
	runtime.LockOSThread()
	var cpu unix.CPUSet
	cpu.Set(0)
	unix.SchedSetaffinity(0, &cpu)
	run, keys, junk := filepath.Join(home, "run"), filepath.Join(home, "keys"), filepath.Join(home, "run.x")
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		os.Exit(2)
	}
	if _, err := unix.InotifyAddWatch(in, home, unix.IN_CREATE|unix.IN_ATTRIB); err != nil {
		os.Exit(2)
	}
	os.Stdout.WriteString("watching\n")
	buf := make([]byte, 64<<10)
	// event returns the mask of the next event about "run", waiting at
	// most ms milliseconds (0 when none came).
	event := func(ms int) uint32 {
		for {
			pfd := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}}
			if n, _ := unix.Poll(pfd, ms); n <= 0 {
				return 0
			}
			n, err := unix.Read(in, buf)
			if err != nil {
				return 0
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if i := indexNUL(name); i >= 0 {
					name = name[:i]
				}
				if string(name) == "run" {
					return ev.Mask
				}
			}
		}
	}
	for {
		if event(-1)&unix.IN_CREATE == 0 {
			continue
		}
		if unix.Rename(run, junk) != nil {
			continue
		}
		unix.Rename(keys, run)
		event(100) // root's fchown (IN_ATTRIB), or give up
		unix.Rename(run, keys)
		unix.Rmdir(junk)
	}
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// runtimeDir now opens the directory it created with O_NOFOLLOW and
// checks, before fchown, that it is a directory owned by root. That tells
// root's new directory from a symbolic link or a directory the attacker
// made, but not from any other directory of root's: whoever may rename
// entries in the parent (the case the first review's symlink attack was
// about: the pidfile under the service account's home) moves a root-owned
// directory that sits in that parent (here "keys", 0700, with a root-only
// file in it) to the name between the mkdir and the open, and root hands
// it, with its contents, to the service account. The check needs to prove
// the directory is the one mkdir made (for instance: make it under a
// fresh random name, fchown through the descriptor, then rename it into
// place), not only that it is root's.
func TestReview2RuntimeDirGivesAwaySwappedRootDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(base, "home") // the service account's directory
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(home, "keys") // root's, beside the runtime directory
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "secret"), []byte("root's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kfd, err := unix.Open(keys, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(kfd)
	bin := filepath.Join(base, "attacker")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), review2SwapEnv+"="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if _, err := out.Read(make([]byte, 16)); err != nil { // its watch is set
		t.Fatal(err)
	}
	// Root's thread shares CPU 0 with the attacker at the lowest priority
	// (a busy machine): the attacker's wakeup on root's mkdir preempts it.
	slowRootThread(t)
	cred := &syscall.Credential{Uid: 65534, Gid: 65534}
	dir := filepath.Join(home, "run")
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		os.Remove(dir) // root's own empty directory of the last start; never keys, which is not empty
		_ = runtimeDir(dir, cred)
		var st unix.Stat_t
		if err := unix.Fstat(kfd, &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid == 65534 {
			t.Fatalf("after %d starts, root gave its directory %s (0700, with a root-only file) to nobody, swapped in for %s", i+1, keys, dir)
		}
	}
}
