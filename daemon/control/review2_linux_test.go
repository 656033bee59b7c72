package control

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Run gives a pidfile's new directory to the service's account so that
// the daemon can remove its pidfile after dropping privileges; the pidfile
// stays root's, and Probe trusts a root file 0644 wherever it is. The
// file's place, though, is the account's: it may rename any pidfile it can
// reach into its own directory. Two services run as the same account
// (nobody, here), B with keepalive, whose angel stays root and holds B's
// pidfile. A's account moves B's pidfile over A's (a rename between two
// directories it owns; no permission on the file is needed), and root's
// `daemonctl stop --pidfile /run/a/a.pid` then proves, signals and kills
// B's root angel with its whole tree, which the account could not signal
// itself. The proof shows that pid holds the lock of the file now at the
// path, not that the file is the one made for that path.
func TestReview2StopKillsAnotherServiceThroughMovedPidfile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed")
	}
	base := t.TempDir()
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dirA, dirB := filepath.Join(base, "a"), filepath.Join(base, "b") // runtime directories, given to the account
	for _, d := range []string{dirA, dirB} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	pathA, pathB := filepath.Join(dirA, "a.pid"), filepath.Join(dirB, "b.pid")
	// B's angel: root, holding B's root-owned pidfile (0644) with its pid.
	b := startDaemon(t, pathB, `sleep 1000 & : >"$READY"; wait`, nil)
	os.Remove(pathB + ".ready")
	// A's account moves B's pidfile over A's.
	mv := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "mv", pathB, pathA)
	if out, err := mv.CombinedOutput(); err != nil {
		t.Fatalf("nobody could not move the pidfile: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Stop(ctx, pathA, StopOptions{Timeout: time.Second})
	if gone(b.pid) {
		t.Fatalf("stop --pidfile %s (service A) ended pid %d, service B's root angel, and %d processes below it (result %+v, error %v)", pathA, b.pid, res.Descendants, res, err)
	}
}
