package pidfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
