// Package pidfile creates, locks, reads and removes pidfiles the way a
// classic Unix daemon should.
//
// A pidfile is only trusted while it is locked. Acquire opens the file
// without following symbolic links and takes an open file description
// ("OFD") write lock, F_OFD_SETLK with F_WRLCK, on the whole file before it
// writes anything; the lock lives as long as some process still has that
// open file description, and Probe tests it with F_OFD_GETLK. So a reader
// tells a live daemon from a pidfile left behind by a crash, and never
// signals an unrelated process that happens to reuse the old pid.
//
// Why OFD locks rather than classic POSIX F_SETLK locks: a POSIX record lock
// belongs to the process, is dropped as soon as the process closes any
// descriptor of the file (a library reading the pidfile with os.ReadFile
// would silently unlock it) and is not inherited through fork. An OFD lock
// belongs to the open file description: closing an unrelated descriptor does
// not release it, and it survives fork and exec for as long as the
// descriptor is inherited. That is what lets `daemonctl run --daemon` take
// the lock, hand the descriptor to a program that knows nothing about it and
// exit. OFD locks and POSIX locks conflict with each other, so a tool
// testing with F_GETLK sees the lock too (Linux 3.15 or later).
//
// Only a write lock counts, and only when it can be tied to the pid in the
// file. Anyone who may read a pidfile can take a read lock on it, so Probe
// asks F_OFD_GETLK about a read lock (which only a write lock conflicts
// with), and it reports Running only after seeing, in the lock lines of
// /proc/PID/fdinfo, that the process named in the file (or, for a classic
// POSIX lock, the owner the kernel names) has this very file open with a
// write lock. It reads only that text and never stats the descriptors'
// files, so a file system that does not answer cannot hang it. A pidfile is hostile input when
// its directory is writable by someone else (a runtime directory handed to
// the service user, /tmp): a file owned by another user than root and the
// caller, or writable by group or others, is not believed (ErrUntrusted)
// and Acquire replaces it rather than reuse it. The package never changes a
// pidfile's owner: a daemon that drops privileges keeps the locked
// descriptor it opened as root and writes through it.
//
// The flip side of an inherited lock: children of the program inherit the
// descriptor as well and keep the lock if they outlive it. Probe therefore
// also checks the pid written in the file (with pidfd_open; a zombie counts
// as exited) and reports Orphaned when the lock is held but that pid is
// gone: the daemon is dead, something it started is not, and Acquire still
// refuses (RunningError.Exited). Package control stops such leftovers
// through the daemon's process group.
//
// Non-goals: the package does not create the pidfile's directory (the
// caller does, so that it can chown it before dropping privileges), does
// not trust unlocked pidfiles written by other programs, and does not
// defend a directory where another user can rename root's files (a
// world-writable directory without the sticky bit).
//
// Example:
//
//	pf, err := pidfile.Acquire("/run/echod/echod.pid")
//	if errors.Is(err, pidfile.ErrAlreadyRunning) {
//		log.Fatal(err) // pidfile: /run/echod/echod.pid: already running (pid 1234)
//	}
//	defer pf.Remove()
//	if err := pf.Write(os.Getpid()); err != nil { ... }
package pidfile
