package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
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
	// A symbolic link at a log path is not followed (test/runtime has the
	// attacks by another user).
	logTarget, logLink := filepath.Join(dir, "target.log"), filepath.Join(dir, "link.log")
	if err := os.Symlink(logTarget, logLink); err != nil {
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
		{[]string{"run", "--daemon", "--chdir", filepath.Join(dir, "nonexistent"), "--", "true"}, ExitFailure, "", "--chdir: stat " + filepath.Join(dir, "nonexistent") + ": no such file"},
		{[]string{"run", "--daemon", "--keepalive", "--chdir", stale, "--", "true"}, ExitFailure, "", "--chdir: " + stale + " is not a directory"},
		{[]string{"run", "--daemon", "--stdout", logLink, "--", "true"}, ExitFailure, "", "run: --stdout: logfile: unsafe log file: " + logLink + " is a symbolic link"},
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
	if _, err := os.Lstat(logTarget); err == nil {
		t.Errorf("run created %s through the link %s", logTarget, logLink)
	}
}

// TestRunFastParsesLikeCobra checks that the fast path of `run` yields the
// same options as the full command line, and leaves to it every argument
// vector it does not fully understand.
func TestRunFastParsesLikeCobra(t *testing.T) {
	cases := []struct {
		args []string
		fast bool
	}{
		{[]string{"run", "--daemon", "--pidfile", "/run/p.pid", "--", "sleep", "1000"}, true},
		{[]string{"run", "--daemon", "sleep", "1"}, true},
		{[]string{"run", "--", "prog", "--daemon", "-x"}, true},
		{[]string{"run", "--chdir", "/srv", "prog"}, true},
		{[]string{"run", "prog"}, true},
		{[]string{"run", "--daemon", "--chdir", "/srv", "--umask=077", "--", "prog", "a b"}, true},
		{[]string{"run", "--keepalive", "--backoff", "0", "--start-limit-burst", "-1", "--restart", "always", "--", "prog"}, true},
		{[]string{"run", "--pidfile=/p", "--stdout", "/o", "--stderr", "/e", "--user", "nobody", "--group", "nogroup", "--", "prog"}, true},
		{[]string{"run", "--max-backoff", "1m", "--start-limit-interval", "5s", "prog"}, true},
		{[]string{"run", "--help"}, false},
		{[]string{"run", "-h", "--", "prog"}, false},
		{[]string{"run", "--nope", "--", "prog"}, false},
		{[]string{"run", "--backoff", "soon", "--", "prog"}, false},
		{[]string{"run"}, false},
		{[]string{"run", "--daemon", "--"}, false},
		{[]string{"status", "--pidfile", "/p"}, false},
		{nil, false},
	}
	for _, c := range cases {
		fast, ok := parseRunFast(c.args)
		if ok != c.fast {
			t.Errorf("%q: fast path taken %v, want %v", c.args, ok, c.fast)
			continue
		}
		var got runOptions
		called := false
		var out bytes.Buffer
		cmd := runCommand(Stdio{Out: &out, Err: &out}, func(_ Stdio, o runOptions) error {
			got, called = o, true
			return nil
		})
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		if len(c.args) > 0 {
			cmd.SetArgs(c.args[1:])
		}
		err := cmd.Execute()
		if !ok {
			// Only for `run …` vectors: the full command must then refuse or
			// print help, never run.
			if len(c.args) > 0 && c.args[0] == "run" && called {
				t.Errorf("%q: the fast path refused what cobra runs: %+v", c.args, got)
			}
			continue
		}
		if err != nil || !called {
			t.Errorf("%q: cobra did not run (err %v)", c.args, err)
			continue
		}
		if !reflect.DeepEqual(fast, got) {
			t.Errorf("%q:\nfast  %+v\ncobra %+v", c.args, fast, got)
		}
	}
}
