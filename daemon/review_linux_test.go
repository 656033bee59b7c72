package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// reviewSwapEnv makes the re-executed test binary the attacker of
// TestReviewRuntimeDirChownFollowsSymlink: as nobody, it keeps replacing
// the directory runtimeDir creates with a symbolic link to the victim.
const reviewSwapEnv = "REVIEW_SWAP_DIR"

func init() {
	if dir := os.Getenv(reviewSwapEnv); dir != "" {
		victim := os.Getenv("REVIEW_SWAP_VICTIM")
		for {
			if unix.Rename(dir, dir+".x") == nil {
				unix.Symlink(victim, dir)
				unix.Rmdir(dir + ".x")
			}
		}
	}
}

// runtimeDir makes the pidfile's directory with mkdir and then gives it
// to the service's user with chown(2), which follows a symbolic link. When
// the user may write the directory above (the pidfile is in
// /var/lib/app/run/, the account's home), it swaps the new directory for a
// symbolic link between the two calls, and root gives it any file: here a
// root-only file outside its reach. Lchown, or fchown on the directory
// opened with O_NOFOLLOW and checked, would not.
func TestReviewRuntimeDirChownFollowsSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(base, "secret")
	if err := os.Mkdir(secret, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(secret, "victim")
	if err := os.WriteFile(victim, []byte("root's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home") // the service account's directory
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(home, "attacker")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "run")
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), reviewSwapEnv+"="+dir, "REVIEW_SWAP_VICTIM="+victim)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	cred := &syscall.Credential{Uid: 65534, Gid: 65534}
	for i := 0; i < 20000; i++ {
		os.Remove(dir)
		_ = runtimeDir(dir, cred)
		var st unix.Stat_t
		if err := unix.Lstat(victim, &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid == 65534 {
			t.Fatalf("after %d starts, root gave %s (root-only, 0600) to nobody through a symbolic link swapped in for %s", i+1, victim, dir)
		}
	}
}
