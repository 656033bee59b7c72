package control

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"golang.org/x/sys/unix"
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

// review2InnerEnv runs TestReview2StopOrphanedKillsGroupThatReusedNumber's
// body in the PID namespace of its own that the outer test makes (the
// body sets ns_last_pid there, and is that namespace's init).
const review2InnerEnv = "REVIEW2_ORPHAN_INNER"

// review2Leftovers is the daemon: it leaves two processes with the locked
// descriptor (fd 3) in its process group and exits. On SIGTERM each waits
// half a second, then leaves the group and the session (setsid) and lives
// on, one of them keeping the lock.
const review2Leftovers = `
for (1..2) { if (!fork) { $SIG{TERM} = sub { select(undef, undef, undef, 0.5); POSIX::setsid() }; sleep 1 while 1; } }
exit 0`

// When the daemon's pid is gone before stop begins (Orphaned), Stop signals
// its process group by number, kill(-N), with no pidfd to pin it: it
// relies on the number not being reused while the group has members, and
// checks before each signal only that the pidfile still names N and is
// locked, by anyone. Leftovers that leave the group and the session
// (setsid) after the first SIGTERM, keeping the lock, free the number N
// while Stop waits for the grace period on their pidfds; a root process
// that takes the number and leads its own group (here `setsid sleep`, as
// any daemon or job started meanwhile) gets Stop's SIGKILL for group N.
// Through the CLI: `daemonctl stop --pidfile P --timeout 3s` killed it
// ("Killed setsid sleep 1000"), then reported the leftovers outside the
// group. verifyOrphaned's check (a member of group N holds the lock) is
// needed before every kill(-N), not only the first.
func TestReview2StopOrphanedKillsGroupThatReusedNumber(t *testing.T) {
	if os.Getenv(review2InnerEnv) == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root (PID namespace, ns_last_pid)")
		}
		for _, tool := range []string{"unshare", "perl"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skip(tool + " not installed")
			}
		}
		cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", os.Args[0],
			"-test.run=^TestReview2StopOrphanedKillsGroupThatReusedNumber$", "-test.v")
		cmd.Env = append(os.Environ(), review2InnerEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in a PID namespace: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "--- SKIP") {
			t.Skipf("in a PID namespace:\n%s", out)
		}
		return
	}
	path := filepath.Join(t.TempDir(), "app.pid")
	pf, err := pidfile.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	d := exec.Command("perl", "-MPOSIX", "-e", review2Leftovers)
	d.ExtraFiles = []*os.File{pf.File()}
	d.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // leads group N, as run --daemon arranges
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	n := d.Process.Pid
	if err := pf.Write(n); err != nil {
		t.Fatal(err)
	}
	pf.Close()
	if err := d.Wait(); err != nil { // reaped: only its group keeps the number
		t.Fatal(err)
	}
	members, err := groupMembers(n)
	if err != nil || len(members) != 2 {
		t.Fatalf("group %d: members %v, %v; want the two leftovers", n, members, err)
	}
	t.Cleanup(func() {
		for _, m := range members {
			unix.Kill(m, unix.SIGKILL)
			reapPID(m)
		}
	})
	type result struct {
		res StopResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Stop(context.Background(), path, StopOptions{Timeout: 3 * time.Second})
		done <- result{res, err}
	}()
	// The leftovers leave group N once signalled.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m, _ := groupMembers(n); len(m) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the leftovers never left group %d", n)
		}
	}
	// Whatever the system starts next takes the number and leads a group.
	if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(n-1)), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := exec.Command("sleep", "1000")
	victim.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { victim.Process.Kill(); victim.Wait() }()
	if victim.Process.Pid != n {
		t.Skipf("no reuse: the victim is pid %d, not %d", victim.Process.Pid, n)
	}
	r := <-done
	if gone(n) {
		t.Fatalf("stop of the orphaned daemon %d sent SIGKILL to process group %d, an unrelated process that took the number after the leftovers left it (result %+v, error %v)", n, n, r.res, r.err)
	}
}
