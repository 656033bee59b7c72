package pidfile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The proof reads the kernel's own words about a descriptor: the fdinfo of
// our own locked pidfile names it by device and inode in its lock line.
func TestWriteLockOnRealFdinfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Remove()
	var st unix.Stat_t
	if err := unix.Fstat(int(p.File().Fd()), &st); err != nil {
		t.Fatal(err)
	}
	info, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(int(p.File().Fd())))
	if err != nil {
		t.Fatal(err)
	}
	if !writeLockOn(info, &st) {
		t.Fatalf("writeLockOn = false for our own locked pidfile; fdinfo:\n%s", info)
	}
	other := st
	other.Ino++
	if writeLockOn(info, &other) {
		t.Errorf("writeLockOn = true for inode %d, the lock is on %d; fdinfo:\n%s", other.Ino, st.Ino, info)
	}
	other = st
	other.Dev = unix.Mkdev(unix.Major(st.Dev)+1, unix.Minor(st.Dev))
	if writeLockOn(info, &other) {
		t.Errorf("writeLockOn = true for another device; fdinfo:\n%s", info)
	}
	held, err := HoldsLock(os.Getpid(), &st)
	if err != nil || !held {
		t.Errorf("HoldsLock(self) = %v, %v; want true", held, err)
	}
	// A second descriptor on the same file, without the lock, is no proof.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err = os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	if writeLockOn(info, &st) {
		t.Errorf("writeLockOn = true for an unlocked descriptor of the file; fdinfo:\n%s", info)
	}
}

func TestWriteLockOn(t *testing.T) {
	st := unix.Stat_t{Dev: unix.Mkdev(0xfe, 0), Ino: 9978561}
	head := "pos:\t0\nflags:\t0100002\nmnt_id:\t29\n"
	ino := "ino:\t9978561\n"
	for _, tc := range []struct {
		name, info string
		want       bool
	}{
		{"ofd write", head + ino + "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:9978561 0 EOF\n", true},
		{"posix write", head + ino + "lock:\t1: POSIX  ADVISORY  WRITE 4242 fe:00:9978561 0 EOF\n", true},
		{"no ino line (before 5.14)", head + "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:9978561 0 EOF\n", true},
		{"second lock line", head + ino + "lock:\t1: FLOCK  ADVISORY  WRITE 7 fe:00:9978561 0 EOF\nlock:\t2: POSIX  ADVISORY  WRITE 7 fe:00:9978561 0 EOF\n", true},
		{"read lock", head + ino + "lock:\t1: OFDLCK ADVISORY  READ -1 fe:00:9978561 0 EOF\n", false},
		{"flock", head + ino + "lock:\t1: FLOCK  ADVISORY  WRITE 7 fe:00:9978561 0 EOF\n", false},
		{"lease", head + ino + "lock:\t1: LEASE  ACTIVE    WRITE 7 fe:00:9978561 0 EOF\n", false},
		{"other inode", head + "ino:\t17\nlock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:17 0 EOF\n", false},
		{"other device", head + ino + "lock:\t1: OFDLCK ADVISORY  WRITE -1 fd:00:9978561 0 EOF\n", false},
		{"ino line contradicts lock line", head + "ino:\t17\nlock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:9978561 0 EOF\n", false},
		{"inode as prefix", head + "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:99785610 0 EOF\n", false},
		{"no lock", head + ino, false},
		{"truncated lock line", head + ino + "lock:\t1: OFDLCK ADVISORY  WRITE -1\n", false},
		{"empty", "", false},
	} {
		if got := writeLockOn([]byte(tc.info), &st); got != tc.want {
			t.Errorf("%s: writeLockOn = %v, want %v; fdinfo:\n%s", tc.name, got, tc.want, tc.info)
		}
	}
	// Minor numbers above 0xff print in more digits.
	big := unix.Stat_t{Dev: unix.Mkdev(0, 0x1a3), Ino: 5}
	line := fmt.Sprintf("lock:\t1: OFDLCK ADVISORY  WRITE -1 %s 0 EOF\n", "00:1a3:5")
	if !writeLockOn([]byte(line), &big) {
		t.Errorf("writeLockOn(%q) = false for device 0:0x1a3", strings.TrimSpace(line))
	}
}

// HoldsLock must not stat the files its descriptors are open on: a file
// system that never answers (here a FUSE mount whose server never
// replies) would hang root's status and stop. The test process holds an
// O_PATH descriptor on such a mount's root, at a number that /proc lists
// before its locked pidfile's descriptor; stat(2) on /proc/self/fd/N would
// block until the connection is aborted.
func TestHoldsLockDoesNotStatDescriptors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	dev, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no FUSE: %v", err)
	}
	mnt := t.TempDir()
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0", dev)
	if err := unix.Mount("review", mnt, "fuse", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		unix.Close(dev)
		t.Skipf("cannot mount FUSE: %v", err)
	}
	// Closing the device aborts the connection: a blocked request fails.
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	t.Cleanup(func() { unix.Close(dev) })
	hung, err := unix.Open(mnt, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	const hungFD, lockFD = 900, 99 // "900" sorts before "99"
	for _, fd := range []int{hungFD, lockFD} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			t.Skipf("descriptor %d is in use", fd)
		}
	}
	if err := unix.Dup3(hung, hungFD, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(hung)
	defer unix.Close(hungFD)
	path := filepath.Join(t.TempDir(), "d.pid")
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup3(fd, lockFD, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	defer unix.Close(lockFD)
	lk := wholeFile(unix.F_WRLCK)
	if err := unix.FcntlFlock(lockFD, unix.F_OFD_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(lockFD, &st); err != nil {
		t.Fatal(err)
	}
	type result struct {
		held bool
		err  error
	}
	done := make(chan result, 1)
	go func() {
		held, err := HoldsLock(os.Getpid(), &st)
		done <- result{held, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || !r.held {
			t.Errorf("HoldsLock(self) = %v, %v; want true", r.held, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("HoldsLock has not returned after 20 s: it is blocked on the FUSE mount at %s (descriptor %d), which it must not stat", mnt, hungFD)
	}
}

// A pidfile naming another thread of the lock holder (whose /proc/TID
// shows the same descriptors) is not the daemon: a pidfile names a
// process. The fuzz target found this with the id of one of its own
// runtime threads.
func TestThreadIDIsNotTheDaemon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.pid")
	p, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Remove()
	// A goroutine locked to its thread keeps that thread; one that
	// landed on the main thread keeps it too, so the next one cannot.
	tids := make(chan int)
	release := make(chan struct{})
	defer close(release)
	tid := os.Getpid()
	for try := 0; try < 4 && tid == os.Getpid(); try++ {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tids <- unix.Gettid()
			<-release
		}()
		tid = <-tids
	}
	if tid == os.Getpid() {
		t.Fatal("no thread but the main one")
	}
	if err := p.Write(tid); err != nil {
		t.Fatal(err)
	}
	st, err := Probe(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.State == Running {
		t.Fatalf("Probe = %+v: thread %d of pid %d taken for the daemon", st, tid, os.Getpid())
	}
	if err := p.Write(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if st, err := Probe(path); err != nil || st.State != Running {
		t.Fatalf("Probe = %+v, %v with our own pid; want running", st, err)
	}
}
