package logfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// openFlags appends, never follows a symbolic link in the last component,
// never blocks on a FIFO, never makes a terminal ours and keeps the
// descriptor from programs we execute (they get dup'ed copies).
const openFlags = unix.O_WRONLY | unix.O_APPEND | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC

// attempts bounds the retries when the file vanishes between the exclusive
// create and the plain open.
const attempts = 8

// Open opens path for appending and returns a blocking, close-on-exec
// descriptor.
//
// A missing file is created (Mode, minus the umask) with O_EXCL and, when
// owner is not nil, given to owner's uid and gid, so that the service can
// reopen it after dropping privileges. An existing file is appended to as
// it is, never truncated or chowned, when it is a regular file with one
// link owned by root, by the caller's effective user or by owner's uid, or
// a character device owned by root (/dev/null). Anything else at path is
// refused with an error wrapping ErrUnsafe that names the path: a symbolic
// link (not followed), a FIFO or socket (the open does not block), another
// device, a directory, a file with more hard links, another user's file. Other failures are *os.PathError values
// (errors.Is(err, fs.ErrPermission) and so on hold).
//
// Only the last component is checked; the directories above it are
// trusted (see the package documentation).
func Open(path string, owner *syscall.Credential) (*os.File, error) {
	// A trailing slash would make the kernel follow a symbolic link.
	path = filepath.Clean(path)
	var err error
	for range attempts {
		var fd int
		if fd, err = unix.Open(path, openFlags|unix.O_CREAT|unix.O_EXCL, Mode); err == nil {
			return finish(fd, path, owner, true)
		}
		if err != unix.EEXIST {
			return nil, openError(path, err)
		}
		if fd, err = unix.Open(path, openFlags, 0); err == nil {
			return finish(fd, path, owner, false)
		}
		if err != unix.ENOENT {
			return nil, openError(path, err)
		}
		// Removed between the two opens: create it after all.
	}
	return nil, openError(path, err)
}

// finish checks what fd is, makes it blocking and, when this call created
// it, gives it to owner.
func finish(fd int, path string, owner *syscall.Credential, created bool) (*os.File, error) {
	err := check(fd, path, owner, created)
	if err == nil {
		err = setBlocking(fd, path)
	}
	if err == nil && created && owner != nil {
		if e := unix.Fchown(fd, int(owner.Uid), int(owner.Gid)); e != nil {
			err = &os.PathError{Op: "logfile: chown", Path: path, Err: e}
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// check refuses what the descriptor shows is not a log file of ours. A
// file this call created is ours by construction. A device is opened
// before it is checked (with O_NONBLOCK|O_NOCTTY); unprivileged users cannot
// make device nodes, and fs.protected_hardlinks keeps them from linking
// ones they do not own.
func check(fd int, path string, owner *syscall.Credential, created bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "logfile: fstat", Path: path, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFCHR:
		// /dev/null, /dev/console, /dev/kmsg: only root makes device
		// nodes, so a root-owned one is root's choice, not a plant.
		if st.Uid != 0 {
			return unsafe(path, fmt.Sprintf("is a character device owned by uid %d, not by root", st.Uid))
		}
	default:
		return unsafe(path, "is a "+kind(st.Mode)+", not a regular file")
	}
	if created {
		return nil
	}
	if st.Nlink != 1 {
		return unsafe(path, fmt.Sprintf("has %d hard links (another name of some other file)", st.Nlink))
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() && (owner == nil || st.Uid != owner.Uid) {
		return unsafe(path, fmt.Sprintf("is owned by uid %d, neither root nor the service's user", st.Uid))
	}
	return nil
}

// setBlocking clears O_NONBLOCK, which only guarded the open: the program
// that inherits the descriptor expects blocking writes.
func setBlocking(fd int, path string) error {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil {
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK)
	}
	if err != nil {
		return &os.PathError{Op: "logfile: fcntl", Path: path, Err: err}
	}
	return nil
}

// openError explains a failed open: the errors that mean "not a regular
// file" name what is there, the others are returned as they are.
func openError(path string, err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) && (errno == unix.ELOOP || errno == unix.ENXIO || errno == unix.EISDIR) {
		var st unix.Stat_t
		if unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				return unsafe(path, "is a symbolic link (not followed)")
			}
			return unsafe(path, "is a "+kind(st.Mode)+", not a regular file")
		}
	}
	return &os.PathError{Op: "logfile: open", Path: path, Err: err}
}

func unsafe(path, why string) error {
	return fmt.Errorf("%w: %s %s", ErrUnsafe, path, why)
}

// kind names a file type.
func kind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symbolic link"
	default:
		return fmt.Sprintf("file of type %#o", mode&unix.S_IFMT)
	}
}
