package privdrop

import (
	"fmt"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Drop sets the supplementary groups (exactly cred.Groups), gid and uid of
// the whole process (all threads) to cred, in that order, then verifies the result: real and
// effective ids match, the groups are exactly cred's, and when the target
// is not root, setuid(0) and setgid(0) fail. It returns ErrNotDropped
// (wrapped) when the verification fails, or the failing call's error.
func Drop(cred *syscall.Credential) error {
	groups := make([]int, 0, len(cred.Groups))
	for _, g := range cred.Groups {
		groups = append(groups, int(g))
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("privdrop: setgroups: %w", err)
	}
	if err := syscall.Setresgid(int(cred.Gid), int(cred.Gid), int(cred.Gid)); err != nil {
		return fmt.Errorf("privdrop: setresgid %d: %w", cred.Gid, err)
	}
	if err := syscall.Setresuid(int(cred.Uid), int(cred.Uid), int(cred.Uid)); err != nil {
		return fmt.Errorf("privdrop: setresuid %d: %w", cred.Uid, err)
	}
	return Verify(cred)
}

// Verify checks that the process runs with exactly cred's ids and groups
// and, for a non-root uid, cannot become root again.
func Verify(cred *syscall.Credential) error {
	if unix.Getuid() != int(cred.Uid) || unix.Geteuid() != int(cred.Uid) ||
		unix.Getgid() != int(cred.Gid) || unix.Getegid() != int(cred.Gid) {
		return fmt.Errorf("%w: running as uid %d/%d gid %d/%d, want %d:%d", ErrNotDropped,
			unix.Getuid(), unix.Geteuid(), unix.Getgid(), unix.Getegid(), cred.Uid, cred.Gid)
	}
	have, err := unix.Getgroups()
	if err != nil {
		return fmt.Errorf("privdrop: getgroups: %w", err)
	}
	for _, g := range have {
		if uint32(g) != cred.Gid && !slices.Contains(cred.Groups, uint32(g)) {
			return fmt.Errorf("%w: still in group %d", ErrNotDropped, g)
		}
	}
	if cred.Uid != 0 {
		// Raw syscalls: only this thread would change, and only if the
		// drop failed, in which case we refuse to go on anyway.
		if _, _, errno := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); errno == 0 {
			return fmt.Errorf("%w: setuid(0) succeeded", ErrNotDropped)
		}
		if cred.Gid != 0 {
			if _, _, errno := unix.RawSyscall(unix.SYS_SETGID, 0, 0, 0); errno == 0 {
				return fmt.Errorf("%w: setgid(0) succeeded", ErrNotDropped)
			}
		}
	}
	return nil
}
