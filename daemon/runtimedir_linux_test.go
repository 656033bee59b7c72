package daemon

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// runtimeDir gives a directory it creates to the service user, and leaves
// alone what it finds: an existing directory of anyone, or a symbolic link
// (whose target is never chowned).
func TestRuntimeDirOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	cred := &syscall.Credential{Uid: 65534, Gid: 65534}
	base := t.TempDir()
	owner := func(path string) uint32 {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			t.Fatal(err)
		}
		return st.Uid
	}

	fresh := filepath.Join(base, "fresh")
	if err := runtimeDir(fresh, cred); err != nil {
		t.Fatal(err)
	}
	if u := owner(fresh); u != 65534 {
		t.Errorf("new directory owned by uid %d, want 65534", u)
	}

	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 1234, 1234); err != nil {
		t.Fatal(err)
	}
	if err := runtimeDir(theirs, cred); err != nil {
		t.Fatal(err)
	}
	if u := owner(theirs); u != 1234 {
		t.Errorf("existing directory chowned to uid %d", u)
	}

	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_ = runtimeDir(link, cred)
	if u := owner(target); u != 0 {
		t.Errorf("symbolic link's target chowned to uid %d", u)
	}
}
