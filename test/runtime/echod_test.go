//go:build linux

package runtimetest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestEchodDefaultPidfile: a classic echod without --pidfile writes
// /run/echod/echod.pid, which status and stop use, and removes it on a
// clean exit. It runs in a mount namespace with a private tmpfs on
// /run/echod, so it neither meets nor disturbs another echod on the host.
func TestEchodDefaultPidfile(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
	if err := os.MkdirAll("/run/echod", 0o755); err != nil {
		t.Fatal(err)
	}
	script := `set -e
mount -t tmpfs tmpfs /run/echod
"$1" --daemon --listen 127.0.0.1:0
pid=$(cat /run/echod/echod.pid)
echo "pid $pid"
"$2" status --pidfile /run/echod/echod.pid
"$2" stop --pidfile /run/echod/echod.pid
if [ -e /run/echod/echod.pid ]; then echo "pidfile left"; exit 1; fi
if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then echo "still running"; exit 1; fi
echo done`
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", echod, dctl).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "running (pid") || !strings.HasSuffix(strings.TrimSpace(string(out)), "done") {
		t.Fatalf("%v\n%s", err, out)
	}
}
