package privdrop

import (
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"syscall"
)

// ErrNotDropped means that after the drop the process could still act as
// another user or group (the ids did not change, or setuid(0) succeeded).
var ErrNotDropped = errors.New("privdrop: privileges were not dropped")

// Lookup resolves name (a user name or numeric uid) and group (a group
// name or numeric gid; "" means the user's primary group) to a Credential
// whose Groups are what initgroups(3) would set: every group listing the
// user, plus the chosen gid. Errors wrap
// user.UnknownUserError / user.UnknownGroupError or parse failures.
func Lookup(name, group string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil && isNumeric(name) {
		u, err = user.LookupId(name)
	}
	if err != nil {
		return nil, fmt.Errorf("privdrop: user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("privdrop: user %q: uid %q: %w", name, u.Uid, err)
	}
	gidStr := u.Gid
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil && isNumeric(group) {
			g, err = user.LookupGroupId(group)
		}
		if err != nil {
			return nil, fmt.Errorf("privdrop: group %q: %w", group, err)
		}
		gidStr = g.Gid
	}
	gid, err := strconv.ParseUint(gidStr, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("privdrop: group %q: gid %q: %w", group, gidStr, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("privdrop: groups of %q: %w", name, err)
	}
	cred.Groups = append(cred.Groups, cred.Gid)
	for _, s := range ids {
		if g, err := strconv.ParseUint(s, 10, 32); err == nil && !slices.Contains(cred.Groups, uint32(g)) {
			cred.Groups = append(cred.Groups, uint32(g))
		}
	}
	return cred, nil
}

// isNumeric reports whether s is a decimal id: only then is a failed name
// look-up retried as an id, so that an unknown name keeps its own error.
func isNumeric(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}
