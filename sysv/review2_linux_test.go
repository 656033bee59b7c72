package sysv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// review2ReuseDriver is reviewReuseDriver with dpkg's start-stop-daemon in
// use (the default on Debian): it starts the service, waits for stop's
// SIGTERM to end it, lets a root process take the daemon's number, and
// reports whether that process survived the stop.
const review2ReuseDriver = `
export DAEMONCTL_NO_LSB=1
S=$1 P=$2 V=$3
"$S" start >/dev/null 2>&1 || { echo "start failed"; exit 1; }
D=$(cat "$P")
( while kill -0 "$D" 2>/dev/null; do sleep 0.01; done
  echo $((D - 1)) >/proc/sys/kernel/ns_last_pid
  sleep 1000 & echo $! >"$V"; wait ) &
"$S" stop >/dev/null 2>&1
v=$(cat "$V" 2>/dev/null)
if [ "$v" != "$D" ]; then echo "no reuse ($v, $D)"
elif kill -0 "$v" 2>/dev/null; then echo "victim alive"
else echo "victim killed"; fi
`

// The first review's reused-pid fix covers only the portable stop: with
// start-stop-daemon the script passes the proven pid as --pid, plus --user
// only when the service has an account, and --retry TERM/T/KILL/5. For a
// service that runs as root start-stop-daemon then matches on the bare
// number at every look of its retry schedule, so a daemon that exits on
// TERM and whose pid is reused before the next look gets the unrelated
// process killed after the timeout: here a root "sleep". --exec "$DAEMON"
// (or the same is_ours loop as the portable path) would refuse it.
func TestReview2SSDStopKillsReusedPid(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (PID namespace, ns_last_pid)")
	}
	for _, tool := range []string{"unshare", "start-stop-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	for try := 0; try < 5; try++ {
		f := newFixture(t, "reuse", roleRecorder, "", nil)
		out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "bash", "-c", review2ReuseDriver,
			"driver", f.script, f.pidfile, filepath.Join(f.dir, "victim")).CombinedOutput()
		got := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(got, '\n'); i >= 0 {
			got = got[i+1:] // bash's job notice ("... Killed sleep 1000") comes first
		}
		if err != nil {
			t.Fatalf("driver: %v: %s", err, got)
		}
		switch {
		case strings.HasPrefix(got, "no reuse"):
			continue // another fork took the number first; try again
		case got == "victim killed":
			t.Fatal("stop (start-stop-daemon) sent SIGKILL to a process that reused the daemon's pid during the wait")
		case got != "victim alive":
			t.Fatalf("driver said %q", got)
		}
		return
	}
	t.Skip("could not arrange the pid reuse")
}
