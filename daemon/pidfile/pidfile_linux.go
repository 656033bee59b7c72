package pidfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// File is a pidfile whose lock this process holds. The zero value is not
// usable; get one from Acquire. A File is not safe for concurrent use.
type File struct {
	path string
	f    *os.File
	size int64 // the file's size as we left it
}

// Acquire opens or creates the pidfile at path (mode 0644, never following
// a symbolic link), takes the OFD write lock without waiting, and empties
// the file so that a stale pid is never read under the new lock. It does
// not write a pid: call Write.
//
// When another process holds the lock it fails at once with a
// *RunningError (errors.Is ErrAlreadyRunning). A symbolic link or another
// non-regular file at path gives ErrInvalid. Other failures wrap the
// underlying *os.PathError.
func Acquire(path string) (*File, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0o644)
		if err != nil {
			if errors.Is(err, unix.ELOOP) {
				return nil, fmt.Errorf("%w: %s is a symbolic link", ErrInvalid, path)
			}
			return nil, fmt.Errorf("pidfile: %w", &os.PathError{Op: "open", Path: path, Err: err})
		}
		f := os.NewFile(uintptr(fd), path)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			f.Close()
			return nil, fmt.Errorf("pidfile: stat %s: %w", path, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			f.Close()
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
		}
		lk := wholeFile(unix.F_WRLCK)
		if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
			f.Close()
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
				pid, _ := readLockedPID(path)
				return nil, &RunningError{Path: path, PID: pid, Exited: pid > 0 && exited(pid)}
			}
			return nil, fmt.Errorf("pidfile: lock %s: %w", path, err)
		}
		// A previous holder may have unlinked the file between our open and
		// our lock: then we locked an orphaned inode and must start over.
		size, same := sizeIfSame(path, &st)
		if !same {
			f.Close()
			continue
		}
		if size > 0 {
			if err := f.Truncate(0); err != nil {
				f.Close()
				return nil, fmt.Errorf("pidfile: truncate %s: %w", path, err)
			}
		}
		return &File{path: path, f: f}, nil
	}
}

// Path returns the path given to Acquire.
func (p *File) Path() string { return p.path }

// File returns the locked descriptor. Passing it to a child process (as an
// inherited descriptor) shares the lock: it stays held until every process
// with the descriptor has closed it. The descriptor is close-on-exec as
// returned; os/exec's ExtraFiles and os.ProcAttr.Files clear that for the
// child.
func (p *File) File() *os.File { return p.f }

// Write replaces the pidfile's content with pid and a newline.
func (p *File) Write(pid int) error {
	b := []byte(strconv.Itoa(pid) + "\n")
	if _, err := p.f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("pidfile: write %s: %w", p.path, err)
	}
	// Only a longer earlier pid needs cutting off (a freshly acquired
	// file is empty, and writers hold the lock).
	if p.size > int64(len(b)) {
		if err := p.f.Truncate(int64(len(b))); err != nil {
			return fmt.Errorf("pidfile: truncate %s: %w", p.path, err)
		}
	}
	p.size = int64(len(b))
	return nil
}

// Remove deletes the pidfile while still holding the lock, then closes it.
// It leaves the path alone when it no longer names the locked file (someone
// replaced it). Removing an already removed file is not an error.
func (p *File) Remove() error {
	var st unix.Stat_t
	var err error
	if err = unix.Fstat(int(p.f.Fd()), &st); err == nil && sameFile(p.path, &st) {
		if err = os.Remove(p.path); errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	}
	cerr := p.f.Close()
	if err != nil {
		return fmt.Errorf("pidfile: remove %s: %w", p.path, err)
	}
	if cerr != nil {
		return fmt.Errorf("pidfile: close %s: %w", p.path, cerr)
	}
	return nil
}

// Close releases this process's descriptor and leaves the file in place.
// The lock is released unless a child process inherited the descriptor.
func (p *File) Close() error {
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("pidfile: close %s: %w", p.path, err)
	}
	return nil
}

// Probe reports whether the pidfile at path is absent, stale (unlocked),
// held by a running process, or orphaned (held, but the pid written in it
// has exited), and the pid written in it. It needs only read access. A
// non-regular file or a symbolic link gives ErrInvalid; a permission
// problem wraps os.ErrPermission.
//
// A zombie counts as exited. Probe cannot tell the daemon from an
// unrelated process that reuses its pid; that takes the daemon's lock
// holders leaving its process group (which keeps the number reserved) and
// the pid wrapping around.
func Probe(path string) (Status, error) {
	locked, pid, err := probe(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Status{State: Absent}, nil
	case err != nil:
		return Status{}, err
	case locked:
		if pid == 0 {
			// The holder locks before it writes: give it a moment.
			pid, err = readLockedPID(path)
			if errors.Is(err, os.ErrNotExist) {
				return Status{State: Absent}, nil
			}
		}
		if pid > 0 && exited(pid) {
			return Status{State: Orphaned, PID: pid}, nil
		}
		return Status{State: Running, PID: pid}, nil
	default:
		return Status{State: Stale, PID: pid}, nil
	}
}

// RemoveStale deletes the pidfile at path if nobody holds its lock, taking
// the lock itself for the removal so that it never races a starting
// daemon. It returns a *RunningError when a live process holds the lock and
// nil when the file is already gone.
func RemoveStale(path string) error {
	p, err := Acquire(path)
	if err != nil {
		return err
	}
	return p.Remove()
}

// probe opens path read-only and tests the lock with F_OFD_GETLK.
func probe(path string) (locked bool, pid int, err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return false, 0, fmt.Errorf("%w: %s is a symbolic link", ErrInvalid, path)
		}
		return false, 0, fmt.Errorf("pidfile: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, 0, fmt.Errorf("pidfile: stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false, 0, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
	}
	lk := wholeFile(unix.F_WRLCK)
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_GETLK, &lk); err != nil {
		return false, 0, fmt.Errorf("pidfile: test lock %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return false, 0, fmt.Errorf("pidfile: read %s: %w", path, err)
	}
	pid, _ = parsePID(data)
	if lk.Type == unix.F_UNLCK {
		return false, pid, nil
	}
	// A classic POSIX lock (another tool's) names its owner; trust that.
	if lk.Pid > 0 {
		pid = int(lk.Pid)
	}
	return true, pid, nil
}

// readLockedPID reads the pid of a locked pidfile, waiting a little while
// the holder is between taking the lock and writing its pid. It returns 0
// when no pid appears.
func readLockedPID(path string) (int, error) {
	for delay := 100 * time.Microsecond; ; delay *= 2 {
		locked, pid, err := probe(path)
		if err != nil || !locked || pid > 0 || delay > 100*time.Millisecond {
			return pid, err
		}
		time.Sleep(delay)
	}
}

// exited reports whether pid has exited: it does not exist, or it is a
// zombie (its pidfd is readable). Without pidfd_open (Linux before 5.3, or
// a seccomp filter) only a missing process counts.
func exited(pid int) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return true
		}
		return errors.Is(unix.Kill(pid, 0), unix.ESRCH)
	}
	defer unix.Close(fd)
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n > 0
}

// sameFile reports whether path (not followed) still names the inode st.
func sameFile(path string, st *unix.Stat_t) bool {
	_, same := sizeIfSame(path, st)
	return same
}

// sizeIfSame is sameFile that also returns the file's current size.
func sizeIfSame(path string, st *unix.Stat_t) (int64, bool) {
	var cur unix.Stat_t
	if err := unix.Lstat(path, &cur); err != nil {
		return 0, false
	}
	return cur.Size, cur.Dev == st.Dev && cur.Ino == st.Ino
}

func wholeFile(typ int16) unix.Flock_t {
	return unix.Flock_t{Type: typ, Whence: io.SeekStart}
}
