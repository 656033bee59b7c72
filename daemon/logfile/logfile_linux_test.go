package logfile

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nobody is the service user of these tests.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// nobodysDir is a directory owned by nobody, as a log directory made for
// rotation is.
func nobodysDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, content string, mode os.FileMode, uid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}

func owner(t *testing.T, path string) (uid, mode uint32) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Mode & 0o7777
}

// openBounded calls Open and fails the test if it blocks (on a FIFO).
func openBounded(t *testing.T, path string, cred *syscall.Credential) (*os.File, error) {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := Open(path, cred)
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		if r.f != nil {
			t.Cleanup(func() { r.f.Close() })
		}
		return r.f, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("Open(%s) blocked", path)
		return nil, nil
	}
}

func TestOpenCreates(t *testing.T) {
	needRoot(t)
	path := filepath.Join(nobodysDir(t), "app.log")
	f, err := openBounded(t, path, nobody)
	if err != nil {
		t.Fatal(err)
	}
	if uid, mode := owner(t, path); uid != 65534 || mode != Mode&^0o022 {
		t.Errorf("new log uid %d mode %o, want 65534 and %o", uid, mode, Mode&^0o022)
	}
	fl, _ := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	fd, _ := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if fl&unix.O_APPEND == 0 || fl&unix.O_NONBLOCK != 0 || fl&unix.O_ACCMODE != unix.O_WRONLY || fd&unix.FD_CLOEXEC == 0 {
		t.Errorf("flags %#o, fd flags %#o: want write-only, appending, blocking, close-on-exec", fl, fd)
	}
}

// TestOpenAppendsExisting: an existing log is appended to as it is, whoever
// of root, the caller and the service user owns it: never chowned.
func TestOpenAppendsExisting(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name string
		uid  int
		mode os.FileMode
		cred *syscall.Credential
	}{
		{"nobody's, service user nobody", 65534, 0o640, nobody},
		{"root's 0600, service user nobody", 0, 0o600, nobody},
		{"root's, no service user", 0, 0o644, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(nobodysDir(t), "app.log")
			writeFile(t, path, "old\n", tc.mode, tc.uid)
			f, err := openBounded(t, path, tc.cred)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("new\n"); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); string(b) != "old\nnew\n" {
				t.Errorf("content %q", b)
			}
			if uid, mode := owner(t, path); int(uid) != tc.uid || os.FileMode(mode) != tc.mode {
				t.Errorf("uid %d mode %o, want %d %o", uid, mode, tc.uid, tc.mode)
			}
		})
	}
}

func TestOpenAcceptsDevNull(t *testing.T) {
	f, err := openBounded(t, "/dev/null", nobody)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("x"); err != nil {
		t.Error(err)
	}
}

// TestOpenRefuses: what a user who owns the log directory can plant there
// is refused, and the file it points at is left alone.
func TestOpenRefuses(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name   string
		plant  func(t *testing.T, path, target string)
		suffix string // appended to the path given to Open
		says   string
	}{
		{"symlink", func(t *testing.T, path, target string) { os.Symlink(target, path) }, "", "is a symbolic link"},
		{"symlink, trailing slash", func(t *testing.T, path, target string) { os.Symlink(target, path) }, "/", "is a symbolic link"},
		{"dangling symlink", func(t *testing.T, path, target string) { os.Symlink(target+".new", path) }, "", "is a symbolic link"},
		{"symlink to a directory", func(t *testing.T, path, target string) { os.Symlink(filepath.Dir(target), path) }, "", "is a symbolic link"},
		{"hard link", func(t *testing.T, path, target string) {
			if err := os.Link(target, path); err != nil {
				t.Fatal(err)
			}
		}, "", "has 2 hard links"},
		{"FIFO without a reader", func(t *testing.T, path, _ string) {
			if err := unix.Mkfifo(path, 0o666); err != nil {
				t.Fatal(err)
			}
		}, "", "is a FIFO"},
		{"FIFO with a reader", func(t *testing.T, path, _ string) {
			if err := unix.Mkfifo(path, 0o666); err != nil {
				t.Fatal(err)
			}
			r, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
		}, "", "is a FIFO"},
		{"socket", func(t *testing.T, path, _ string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "", "is a socket"},
		{"directory", func(t *testing.T, path, _ string) { os.Mkdir(path, 0o755) }, "", "is a directory"},
		{"nobody's null device", func(t *testing.T, path, _ string) {
			if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
				t.Skip("mknod:", err)
			}
			os.Chown(path, 65534, 65534)
		}, "", "is a character device owned by uid 65534"},
		{"another user's file", func(t *testing.T, path, _ string) { writeFile(t, path, "theirs\n", 0o666, 12345) }, "", "is owned by uid 12345"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "secret")
			writeFile(t, target, "root:secret\n", 0o600, 0)
			path := filepath.Join(nobodysDir(t), "app.log")
			tc.plant(t, path, target)
			f, err := openBounded(t, path+tc.suffix, nobody)
			if err == nil {
				f.Close()
			}
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), path+" "+tc.says) {
				t.Errorf("Open: %v; want %v naming %s and %q", err, ErrUnsafe, path, tc.says)
			}
			if b, _ := os.ReadFile(target); string(b) != "root:secret\n" {
				t.Errorf("target written to: %q", b)
			}
			if uid, mode := owner(t, target); uid != 0 || mode != 0o600 {
				t.Errorf("target now uid %d mode %o", uid, mode)
			}
			if _, err := os.Lstat(target + ".new"); err == nil {
				t.Errorf("the dangling link's target was created")
			}
		})
	}
}

// TestOpenOtherErrors: failures that are not refusals keep their errno.
func TestOpenOtherErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing", "app.log"), nil)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrUnsafe) {
		t.Errorf("Open in a missing directory: %v", err)
	}
}
