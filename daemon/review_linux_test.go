package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// reviewSwapEnv makes the re-executed test binary the attacker of
// TestReviewRuntimeDirChownFollowsSymlink: as nobody, it keeps replacing
// the directory runtimeDir creates with a symbolic link to the victim.
const reviewSwapEnv = "REVIEW_SWAP_DIR"

func init() {
	if dir := os.Getenv(reviewSwapEnv); dir != "" {
		victim := os.Getenv("REVIEW_SWAP_VICTIM")
		runtime.LockOSThread()
		var cpu unix.CPUSet
		cpu.Set(0)
		unix.SchedSetaffinity(0, &cpu) // the CPU root's thread runs on
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
	for range 2 { // two attackers, so that one runs while root does
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), reviewSwapEnv+"="+dir, "REVIEW_SWAP_VICTIM="+victim)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
	}
	// Root's thread shares CPU 0 with the attackers at the lowest
	// priority, so that it is often preempted, also between the mkdir and
	// the chown (as on a busy machine). The thread ends with the test.
	slowRootThread(t)
	cred := &syscall.Credential{Uid: 65534, Gid: 65534}
	// A race: against chown(2) by name it was won within 2 to 13 starts
	// here; the bound keeps a lost race from running for ever (then the
	// test passes), and CI from paying for more than a few seconds.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
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

// slowRootThread locks the test to its thread, pins that thread to CPU 0
// and gives it the lowest priority, so that attackers sharing the CPU
// preempt root often, also inside its critical windows (a busy machine).
// The thread ends with the test.
func slowRootThread(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	var cpu unix.CPUSet
	cpu.Set(0)
	if err := unix.SchedSetaffinity(0, &cpu); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19); err != nil {
		t.Fatal(err)
	}
}
