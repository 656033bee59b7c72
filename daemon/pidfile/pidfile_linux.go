package pidfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// openFlags are added to every open of a pidfile path: never follow a
// symbolic link, never block (a FIFO planted at the path would), never
// acquire a controlling terminal, never leak into children.
const openFlags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY

// maxTries bounds Acquire's retries when the path changes under it.
const maxTries = 8

// Acquire opens or creates the pidfile at path (mode 0644, never following
// a symbolic link, never blocking on a FIFO), takes the OFD write lock
// without waiting, and empties the file so that a stale pid is never read
// under the new lock. It does not write a pid: call Write.
//
// It reuses an existing file only when the caller may trust it: a regular
// file owned by root or by the effective uid, not writable by group or
// others, and not held by readers only. Any other regular file (one that
// another user planted, with any pid and any lock of theirs in it, or a
// stale one whose read lock someone keeps to stop us from starting) is
// replaced: a new file is created and locked beside it, swapped in with
// renameat2(RENAME_EXCHANGE), and the old one removed once the swap is
// seen to have displaced exactly the file judged. When the directory does
// not let us do that (no write permission; a sticky directory and a file
// of another user, for a caller without CAP_FOWNER; a file system without
// RENAME_EXCHANGE) Acquire refuses with an error wrapping ErrUntrusted.
//
// When another process holds a write lock on a trusted file it fails at
// once with a *RunningError (errors.Is ErrAlreadyRunning). A symbolic link
// or another non-regular file at path gives ErrInvalid. Other failures
// wrap the underlying *os.PathError.
func Acquire(path string) (*File, error) {
	for range maxTries {
		p, retry, err := acquire(path)
		if !retry {
			return p, err
		}
	}
	return nil, fmt.Errorf("pidfile: %s: changed %d times while being acquired; giving up", path, maxTries)
}

// acquire is one attempt of Acquire; retry means the path changed under it.
func acquire(path string) (p *File, retry bool, err error) {
	var lst unix.Stat_t
	var fd int
	switch err := unix.Lstat(path, &lst); {
	case errors.Is(err, unix.ENOENT):
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|openFlags, 0o644)
		if errors.Is(err, unix.EEXIST) {
			return nil, true, nil
		}
	case err != nil:
		return nil, false, fmt.Errorf("pidfile: %w", &os.PathError{Op: "lstat", Path: path, Err: err})
	default:
		if err := regular(path, &lst); err != nil {
			return nil, false, err
		}
		if untrusted(path, &lst) != nil {
			return replace(path, &lst)
		}
		fd, err = unix.Open(path, unix.O_RDWR|openFlags, 0)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
			return nil, true, nil // replaced meanwhile: look again
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("pidfile: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("pidfile: stat %s: %w", path, err)
	}
	if regular(path, &st) != nil || untrusted(path, &st) != nil {
		f.Close()
		return nil, true, nil // not what lstat saw: look again
	}
	lk := wholeFile(unix.F_WRLCK)
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) {
			f.Close()
			return nil, false, fmt.Errorf("pidfile: lock %s: %w", path, err)
		}
		writer, _, err := writeLocked(fd)
		f.Close()
		switch {
		case err != nil:
			return nil, false, fmt.Errorf("pidfile: test lock %s: %w", path, err)
		case !writer:
			// Only readers hold it: no daemon does, whatever they want.
			return replace(path, &st)
		}
		ps, err := Probe(path)
		switch {
		case err == nil && (ps.State == Absent || ps.State == Stale):
			return nil, true, nil
		case err != nil:
			return nil, false, err
		}
		return nil, false, &RunningError{Path: path, PID: ps.PID, Exited: ps.State == Orphaned}
	}
	// A previous holder may have unlinked the file between our open and
	// our lock: then we locked an orphaned inode and must start over.
	size, same := sizeIfSame(path, &st)
	if !same {
		f.Close()
		return nil, true, nil
	}
	if size > 0 {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("pidfile: truncate %s: %w", path, err)
		}
	}
	return &File{path: path, f: f}, false, nil
}

// replace puts a new file, created and locked by us, in place of the
// regular file old at path, which we may not reuse. The exchange is
// atomic; if what it displaced is not old (the path changed since we
// judged it), it is exchanged back and the caller retries.
func replace(path string, old *unix.Stat_t) (p *File, retry bool, err error) {
	why := untrusted(path, old)
	if why == nil {
		why = fmt.Errorf("pidfile: %s: locked by readers only", path)
	}
	refuse := func(err error) error {
		return fmt.Errorf("%w; cannot replace it: %w", why, err)
	}
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".new*")
	if err != nil {
		return nil, false, refuse(err)
	}
	tmp := f.Name()
	fail := func(err error) (*File, bool, error) {
		f.Close()
		os.Remove(tmp)
		return nil, false, err
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(refuse(err))
	}
	lk := wholeFile(unix.F_WRLCK)
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		return fail(refuse(err))
	}
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
		if errors.Is(err, unix.ENOENT) {
			f.Close()
			os.Remove(tmp)
			return nil, true, nil
		}
		return fail(refuse(&os.LinkError{Op: "exchange", Old: tmp, New: path, Err: err}))
	}
	var displaced unix.Stat_t
	if err := unix.Lstat(tmp, &displaced); err == nil && displaced.Dev == old.Dev && displaced.Ino == old.Ino {
		os.Remove(tmp) // the old file, now under our temporary name
		return &File{path: path, f: f}, false, nil
	}
	// Someone put another file at path meanwhile: give it back.
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("pidfile: %s changed while being replaced, and putting it back failed: %w", path, err)
	}
	f.Close()
	os.Remove(tmp)
	return nil, true, nil
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
		return fmt.Errorf("pidfile: %w", err) // names the operation and the path
	}
	// Only a longer earlier pid needs cutting off (a freshly acquired
	// file is empty, and writers hold the lock).
	if p.size > int64(len(b)) {
		if err := p.f.Truncate(int64(len(b))); err != nil {
			return fmt.Errorf("pidfile: %w", err)
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

// Probe reports whether the pidfile at path is absent, stale, held by the
// running daemon, orphaned or unverified (see State), with the pid written
// in it. It needs read access to the file, and to the descriptors of the
// process named in it (/proc/PID/fdinfo: the same user, or CAP_SYS_PTRACE)
// to report Running. It never blocks on what it finds at path.
//
// Only an OFD or POSIX write lock counts: Probe asks F_OFD_GETLK about a
// read lock, which only a write lock conflicts with, and anyone who may
// read the file can take a read lock. Running is reported only when the
// process named in the file has a descriptor on this very file with a
// write lock (the lock lines of /proc/PID/fdinfo, Linux 4.1 and later;
// see HoldsLock). For a classic POSIX lock the kernel names the pid that
// took it; Probe reports that pid as Running only after the same check,
// since the lock outlives its taker in a process that shares its
// descriptor table, and the number may have been reused. A stale pid
// reused by an unrelated process is never Running.
//
// Errors: ErrInvalid for a symbolic link or anything but a regular file
// (a FIFO, a device, a directory), found by lstat before any open and
// checked again with fstat; ErrUntrusted for a file owned by another user
// than root and the caller, or writable by group or others; a permission
// problem wraps os.ErrPermission. A zombie counts as exited.
func Probe(path string) (Status, error) {
	for delay := 100 * time.Microsecond; ; delay *= 2 {
		st, empty, err := probe(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return Status{State: Absent}, nil
		case err != nil:
			return Status{}, err
		case st.State == Unverified && empty && delay <= 100*time.Millisecond:
			// The holder locks before it writes: give it a moment.
			time.Sleep(delay)
			continue
		}
		return st, nil
	}
}

// RemoveStale deletes the pidfile at path if no daemon holds its lock,
// taking the lock itself (see Acquire) for the removal so that it never
// races a starting daemon. It returns a *RunningError when a live process
// holds the write lock and nil when the file is already gone.
func RemoveStale(path string) error {
	p, err := Acquire(path)
	if err != nil {
		return err
	}
	return p.Remove()
}

// probe is one look at the pidfile; empty reports a write-locked file
// with nothing in it yet.
func probe(path string) (s Status, empty bool, err error) {
	var lst unix.Stat_t
	if err := unix.Lstat(path, &lst); err != nil {
		return s, false, fmt.Errorf("pidfile: %w", &os.PathError{Op: "lstat", Path: path, Err: err})
	}
	if err := regular(path, &lst); err != nil {
		return s, false, err
	}
	fd, err := unix.Open(path, unix.O_RDONLY|openFlags, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return s, false, fmt.Errorf("%w: %s is a symbolic link", ErrInvalid, path)
		}
		return s, false, fmt.Errorf("pidfile: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return s, false, fmt.Errorf("pidfile: stat %s: %w", path, err)
	}
	if err := regular(path, &st); err != nil {
		return s, false, err
	}
	if err := untrusted(path, &st); err != nil {
		return s, false, err
	}
	writer, owner, err := writeLocked(fd)
	if err != nil {
		return s, false, fmt.Errorf("pidfile: test lock %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 2*maxLine))
	if err != nil {
		return s, false, fmt.Errorf("pidfile: read %s: %w", path, err)
	}
	s.PID, _ = parsePID(data)
	switch {
	case !writer:
		s.State = Stale
	case owner > 0:
		// A classic POSIX lock (another tool's): the kernel names the
		// pid that took it, which may have exited while a process that
		// shares its descriptor table (CLONE_FILES) keeps the lock, and
		// whose number may have been reused since. Believe it only when
		// that process shows the lock on a descriptor of this file.
		held, err := HoldsLock(owner, &st)
		switch {
		case err == nil && held && !exited(owner):
			s.State, s.PID = Running, owner
		case err != nil:
			s.State, s.Reason = Unverified, fmt.Errorf("pidfile: %s: cannot check that pid %d, which the kernel names as its POSIX lock's owner, holds the lock: %w", path, owner, err)
		default:
			s.State, s.Reason = Unverified, fmt.Errorf("pidfile: %s has a POSIX lock taken by pid %d, which does not hold it (it has exited or its number was reused, and a process that shared its descriptors keeps the lock)", path, owner)
		}
	case s.PID == 0:
		s.State, s.Reason = Unverified, fmt.Errorf("pidfile: %s is locked but holds no pid", path)
		return s, len(data) == 0, nil
	case exited(s.PID):
		s.State = Orphaned
	default:
		held, err := HoldsLock(s.PID, &st)
		switch {
		case err != nil:
			s.State, s.Reason = Unverified, fmt.Errorf("pidfile: %s: cannot check that pid %d holds its lock: %w", path, s.PID, err)
		case !held:
			s.State, s.Reason = Unverified, fmt.Errorf("pidfile: %s is locked, but not by pid %d written in it (a reused pid, or a program that closed its descriptor while processes it started keep it)", path, s.PID)
		default:
			s.State = Running
		}
	}
	return s, false, nil
}

// writeLocked tests the file open as fd for a write lock: F_OFD_GETLK
// asking about a read lock, which only a write lock conflicts with. owner
// is the pid the kernel names for a POSIX lock; OFD locks name none (-1),
// and neither does a lock taken in another pid namespace (0).
func writeLocked(fd int) (locked bool, owner int, err error) {
	lk := wholeFile(unix.F_RDLCK)
	if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_GETLK, &lk); err != nil {
		return false, 0, err
	}
	if lk.Type == unix.F_UNLCK {
		return false, 0, nil
	}
	return true, int(lk.Pid), nil
}

// HoldsLock reports whether process pid holds a write lock on the file st
// describes: /proc/PID/fdinfo shows, for one of its descriptors, a granted
// OFD or POSIX WRITE lock on that device and inode. The kernel prints
// those lock lines only for the locks held through that very descriptor
// (by its open file description, or by the process's descriptor table for
// a POSIX lock), and names the locked file by its file system's device
// and inode number; the descriptor's "ino:" line, when present, must
// agree. HoldsLock never stats, opens or follows the descriptors (a file
// on a file system that does not answer cannot block it): it reads only
// the /proc text. Kernels before Linux 4.1 print no lock lines; there it
// reports false, which makes callers refuse rather than guess. So does a
// file system whose stat reports another device than the one the lock
// line names (btrfs subvolumes, some overlay mounts). A process that is
// gone gives false. Reading another process's descriptors takes the same
// user (and a dumpable process) or CAP_SYS_PTRACE; without that the error
// wraps os.ErrPermission.
//
// pid must name a process, not one of its other threads: /proc/TID
// answers for a thread too, with its process's descriptors, but a pidfile
// names a process (and a pidfd cannot be opened for a thread), so a
// thread id gives false.
func HoldsLock(pid int, st *unix.Stat_t) (bool, error) {
	if pid <= 0 || !leadsThreadGroup(pid) {
		return false, nil
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fdinfo/"
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, unix.ESRCH):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("pidfile: descriptors of pid %d: %w", pid, err)
	}
	for _, e := range entries {
		info, err := os.ReadFile(dir + e.Name())
		if err == nil && writeLockOn(info, st) {
			return true, nil
		}
	}
	return false, nil
}

// writeLockOn reports whether an fdinfo text shows a granted OFD or POSIX
// write lock on the file st (its device and inode), such as
// "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:9978561 0 EOF", with the
// device's major and minor numbers in hexadecimal. An "ino:" line (Linux
// 5.14 and later) naming another inode is a contradiction: false.
func writeLockOn(info []byte, st *unix.Stat_t) bool {
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	locked := false
	sc := bufio.NewScanner(bytes.NewReader(info))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch key {
		case "ino":
			if strings.TrimSpace(val) != strconv.FormatUint(st.Ino, 10) {
				return false
			}
		case "lock":
			f := strings.Fields(val)
			if len(f) >= 6 && (f[1] == "OFDLCK" || f[1] == "POSIX") && f[3] == "WRITE" && f[5] == want {
				locked = true
			}
		}
	}
	return locked
}

// regular refuses anything at path but a regular file.
func regular(path string, st *unix.Stat_t) error {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return nil
	case unix.S_IFLNK:
		return fmt.Errorf("%w: %s is a symbolic link", ErrInvalid, path)
	}
	return fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
}

// untrusted says why the file st may not be believed: it is owned by a
// user other than root and the caller's effective uid, or its group or
// others may write it. Whoever can write a pidfile can write any pid in it
// and hold its write lock.
func untrusted(path string, st *unix.Stat_t) error {
	if uid := int(st.Uid); uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not root or uid %d", ErrUntrusted, path, uid, os.Geteuid())
	}
	if st.Mode&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by group or others (mode %04o)", ErrUntrusted, path, st.Mode&0o7777)
	}
	return nil
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

// leadsThreadGroup reports whether pid is a process (its thread group's
// leader), from the Tgid line of /proc/PID/status; false for another
// thread's id and for a pid that is gone.
func leadsThreadGroup(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			return strings.TrimSpace(v) == strconv.Itoa(pid)
		}
	}
	return false
}
