package sysv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reuseDriver runs in a PID namespace of its own: it starts the service,
// waits for stop's SIGTERM to end it, then lets a root process (standing
// for whatever the system starts next) take the daemon's number, as pid
// reuse does, and reports whether that process survived the stop. $4 is
// DAEMONCTL_NO_SSD: 1 for the portable path, empty for start-stop-daemon.
const reuseDriver = `
export DAEMONCTL_NO_LSB=1
S=$1 P=$2 V=$3
if [ -n "$4" ]; then export DAEMONCTL_NO_SSD=1; fi
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

// TestStopNeverKillsReusedPid: a daemon that exits on TERM and whose pid
// is reused during stop's wait must not get the unrelated process killed
// after the timeout (here a root "sleep" that took the number). Two
// hostile reviews found it on each path: the portable stop polled the bare
// number and then sent KILL to it; start-stop-daemon's --retry matched the
// bare --pid (plus --user only for a service with an account) at every
// look. stop now proves the pid ours at every look on both paths.
func TestStopNeverKillsReusedPid(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (PID namespace, ns_last_pid)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
	for _, path := range []struct{ name, noSSD string }{{"portable", "1"}, {"ssd", ""}} {
		t.Run(path.name, func(t *testing.T) {
			if path.noSSD == "" {
				if _, err := exec.LookPath("start-stop-daemon"); err != nil {
					t.Skip("start-stop-daemon not installed")
				}
			}
			for try := 0; try < 5; try++ {
				f := newFixture(t, "reuse", roleRecorder, "", nil)
				out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "bash", "-c", reuseDriver,
					"driver", f.script, f.pidfile, filepath.Join(f.dir, "victim"), path.noSSD).CombinedOutput()
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
					t.Fatal("stop sent SIGKILL to a process that reused the daemon's pid during the wait")
				case got != "victim alive":
					t.Fatalf("driver said %q", got)
				}
				return
			}
			t.Skip("could not arrange the pid reuse")
		})
	}
}
