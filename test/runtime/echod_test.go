//go:build linux

package runtimetest

import (
	"os"
	"testing"
)

// TestEchodDefaultPidfile: a classic echod without --pidfile writes
// /run/echod/echod.pid, which status and stop use, and removes it on a
// clean exit.
func TestEchodDefaultPidfile(t *testing.T) {
	const p = "/run/echod/echod.pid"
	if _, err := os.Stat(p); err == nil {
		t.Skipf("%s exists: an echod may be running on this machine", p)
	}
	stopAtCleanup(t, p)
	if r := run(t, nil, echod, "--daemon", "--listen", "127.0.0.1:0"); r.code != 0 {
		t.Fatalf("echod --daemon: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 0 {
		t.Fatalf("status: %d %s", r.code, r.output)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	if _, err := os.Stat(p); err == nil {
		t.Errorf("%s left after a clean stop", p)
	}
}
