package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRuntimeCommandCodes checks run/stop/status/reload exit codes and
// messages through Main for the cases that start nothing (the real
// processes are exercised in test/runtime).
func TestRuntimeCommandCodes(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "absent.pid")
	stale := filepath.Join(dir, "stale.pid")
	// Unlocked, naming a live process (this test): stale all the same.
	if err := os.WriteFile(stale, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notAFile := filepath.Join(dir, "dir.pid")
	if err := os.Mkdir(notAFile, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args      []string
		code      int
		out, diag string
	}{
		{[]string{"run"}, ExitUsage, "", "missing program"},
		{[]string{"run", "--restart", "sometimes", "--", "true"}, ExitUsage, "", "restart policy"},
		{[]string{"run", "--umask", "8", "--", "true"}, ExitUsage, "", "not an octal mode"},
		{[]string{"run", "--backoff", "-1s", "--", "true"}, ExitUsage, "", "negative"},
		{[]string{"run", "--daemon", "--", filepath.Join(dir, "nonexistent")}, ExitFailure, "", "no such file"},
		{[]string{"run", "--daemon", "--user", "no-such-user-daemonctl", "--", "true"}, ExitFailure, "", "no-such-user-daemonctl"},
		{[]string{"status"}, ExitUsage, "", "--pidfile is required"},
		{[]string{"status", "--pidfile", absent}, statusStopped, "not running", ""},
		{[]string{"status", "--pidfile", stale}, statusDead, "dead", ""},
		{[]string{"status", "--pidfile", notAFile}, statusUnknown, "", "not a regular file"},
		{[]string{"stop", "--pidfile", absent}, ExitOK, "", "not running"},
		{[]string{"stop", "--pidfile", absent, "--signal", "NOPE"}, ExitUsage, "", "unknown signal"},
		{[]string{"stop", "--pidfile", absent, "--timeout", "-1s"}, ExitUsage, "", "negative"},
		{[]string{"reload", "--pidfile", absent}, ExitFailure, "", "not running"},
		{[]string{"reload", "--pidfile", stale}, ExitFailure, "", "not running"},
		{[]string{"reload", "--pidfile", absent, "--signal", "BAD"}, ExitUsage, "", "unknown signal"},
		// Last: removes the stale file.
		{[]string{"stop", "--pidfile", stale}, ExitOK, "", "removed stale pidfile"},
		{[]string{"status", "--pidfile", stale}, statusStopped, "not running", ""},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), c.args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
		if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errOut.String(), c.diag) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, out.String(), errOut.String(), c.code, c.out, c.diag)
		}
	}
}
