//go:build linux

package runtimetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// withArgv lists the live processes whose command line is exactly argv.
func withArgv(argv ...string) []int {
	want := []byte(strings.Join(argv, "\x00") + "\x00")
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && bytes.Equal(b, want) && alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// On a full file system the pid cannot be written. After run --daemon has
// started the program, it must stop it, leave no pidfile and fail with the
// reason (it used to exit 1 with the program running and an empty locked
// pidfile that status called "running (pid 0)"). The keepalive angel and
// the library's classic mode write their own pid before anything runs:
// they must fail the same way and leave no pidfile either (the angel used
// to leave an empty one).
func TestPidfileWriteFails(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root (mount)")
	}
	// A unique argument tells our program from every other process.
	marker := strconv.Itoa(os.Getpid())
	cases := map[string]struct {
		env  []string
		argv []string // the program, found by its command line afterwards
		run  []string // what starts it; @PIDFILE@ is replaced
	}{
		"daemon": {argv: []string{"sleep", "1000." + marker},
			run: []string{dctl, "run", "--daemon", "--pidfile", "@PIDFILE@", "--", "sleep", "1000." + marker}},
		"keepalive": {argv: []string{"sleep", "1001." + marker},
			run: []string{dctl, "run", "--daemon", "--keepalive", "--pidfile", "@PIDFILE@", "--", "sleep", "1001." + marker}},
		"library": {env: libEnv("LIB_CLASSIC=1", "LIB_PIDFILE=@PIDFILE@"), argv: []string{self(t), "-test.run=^$", "-test.timeout=" + marker + "s"},
			run: []string{self(t), "-test.run=^$", "-test.timeout=" + marker + "s"}},
	}
	script := `mount -t tmpfs -o size=4k tmpfs "$1" || exit 99
head -c 4096 /dev/zero > "$1/fill" 2>/dev/null
d=$1 dctl=$2; shift 2
"$@"
echo "rc=$?"
"$dctl" status --pidfile "$d/d.pid"
echo "status=$?"
ls "$d"`
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "d.pid")
			args := []string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, dctl}
			for _, a := range c.run {
				args = append(args, strings.ReplaceAll(a, "@PIDFILE@", p))
			}
			cmd := exec.Command("unshare", args...)
			cmd.Env = os.Environ()
			for _, kv := range c.env {
				cmd.Env = append(cmd.Env, strings.ReplaceAll(kv, "@PIDFILE@", p))
			}
			out, err := cmd.CombinedOutput()
			t.Cleanup(func() {
				for _, pid := range withArgv(c.argv...) {
					unix.Kill(pid, unix.SIGKILL)
					waitGone(t, pid)
				}
			})
			if cmd.ProcessState.ExitCode() == 99 {
				t.Skipf("cannot mount a tmpfs: %s", out)
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			text := string(out)
			if !strings.Contains(text, "rc=1\n") || !strings.Contains(text, "no space left on device") {
				t.Errorf("the start did not fail with the reason:\n%s", text)
			}
			_, listing, _ := strings.Cut(text, "status=")
			if !strings.HasPrefix(listing, "3\n") || strings.Contains(listing, "d.pid") {
				t.Errorf("a pidfile was left behind:\n%s", text)
			}
			// Gone once the start has failed (at most a zombie of ours).
			if pids := withArgv(c.argv...); len(pids) != 0 {
				t.Errorf("the program still runs after the failed start: pids %v\n%s", pids, text)
			}
		})
	}
}

// The library no longer gives the pidfile to the service user: it stays
// root's (the daemon keeps the descriptor it opened as root), so that stop
// and status, run as root, may trust it.
func TestLibraryPidfileStaysRoot(t *testing.T) {
	dir := dirForNobody(t, 0o755, 0)
	p, pid := startAsNobody(t, dir)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 0 || st.Mode&0o022 != 0 {
		t.Errorf("pidfile owned by uid %d, mode %04o; want root's, not group or world writable", st.Uid, st.Mode&0o7777)
	}
	if r := runBounded(t, nil, dctl, "status", "--pidfile", p); r.code != 0 {
		t.Errorf("status: %d %s", r.code, r.output)
	}
	if r := runBounded(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	if _, err := os.Stat(p); err == nil {
		t.Error("pidfile left after stop")
	}
}

// What is not a pidfile at the path is refused at once: a FIFO (which
// used to hang status and stop), or a file another user may write.
func TestStatusStopRefuseHostilePidfiles(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root (the pidfile's owner is nobody)")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pid")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(dir, "planted.pid")
	if err := os.WriteFile(planted, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(planted, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, planted} {
		if r := runBounded(t, nil, dctl, "status", "--pidfile", p); r.code != 4 {
			t.Errorf("status %s: %d %s", p, r.code, r.output)
		}
		if r := runBounded(t, nil, dctl, "stop", "--pidfile", p); r.code != 1 {
			t.Errorf("stop %s: %d %s", p, r.code, r.output)
		}
		if r := runBounded(t, nil, dctl, "reload", "--pidfile", p); r.code != 1 {
			t.Errorf("reload %s: %d %s", p, r.code, r.output)
		}
	}
	if _, err := os.Stat(planted); err != nil {
		t.Errorf("stop removed a pidfile it does not trust: %v", err)
	}
}

// The pid in the pidfile is alive but does not hold the lock (the program
// closed fd 3 and its child keeps it; a reused pid looks the same): status
// cannot vouch for it (4), and stop and reload signal nothing and say why.
func TestUnverifiedHolderNotSignalled(t *testing.T) {
	dir := t.TempDir()
	p, ready := filepath.Join(dir, "d.pid"), filepath.Join(dir, "ready")
	stopAtCleanup(t, p)
	script := `sleep 1000 & exec 3>&-; : > "$0"; wait`
	if r := runBounded(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sh", "-c", script, ready); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	kids := children(pid)
	t.Cleanup(func() {
		for _, k := range kids {
			unix.Kill(k, unix.SIGKILL)
			waitGone(t, k)
		}
		unix.Kill(pid, unix.SIGKILL)
		waitGone(t, pid)
	})
	waitFor(t, "fd 3 closed", func() bool { _, err := os.Stat(ready); return err == nil })
	if r := runBounded(t, nil, dctl, "status", "--pidfile", p); r.code != 4 || !strings.Contains(r.output, "not by pid "+strconv.Itoa(pid)) {
		t.Errorf("status: %d %s", r.code, r.output)
	}
	for _, cmd := range []string{"stop", "reload"} {
		if r := runBounded(t, nil, dctl, cmd, "--pidfile", p); r.code != 1 || !strings.Contains(r.output, "nothing signalled") {
			t.Errorf("%s: %d %s", cmd, r.code, r.output)
		}
	}
	if !alive(pid) {
		t.Errorf("pid %d was signalled", pid)
	}
}
