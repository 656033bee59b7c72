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
