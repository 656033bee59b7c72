//go:build linux

package runtimetest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The log files of `run --stdout/--stderr` and of the library's LogFile
// are opened by root in a directory that the service user (here nobody)
// may own, as the README recommends for rotation. Whatever nobody plants
// at the log's path (a symbolic link, a hard link, a FIFO, a file of
// another user) must not make root write to or hand over a file that is
// not the log.

// asNobody runs a command as nobody (uid and gid 65534, no groups): the
// attacker's steps.
func asNobody(t *testing.T, args ...string) {
	t.Helper()
	argv := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--"}, args...)
	if out, err := exec.Command("setpriv", argv...).CombinedOutput(); err != nil {
		t.Fatalf("as nobody %v: %v\n%s", args, err, out)
	}
}

// victim is a file the attack aims at, with the content, owner and mode
// it must keep.
type victim struct {
	path, content string
	uid           uint32
	mode          uint32
}

// newVictim makes a root-owned file with mode in a directory of its own
// (0755, so that nobody can reach it when mode lets it).
func newVictim(t *testing.T, mode uint32) victim {
	t.Helper()
	dir := dirForNobody(t, 0o755, 0)
	v := victim{path: filepath.Join(dir, "secret"), content: "root:secret\n", mode: mode}
	if err := os.WriteFile(v.path, []byte(v.content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(v.path, os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}
	return v
}

// check fails the test when the victim changed owner, mode or content.
func (v victim) check(t *testing.T) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(v.path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != v.uid || st.Mode&0o7777 != v.mode {
		t.Errorf("%s is now uid %d mode %o, want uid %d mode %o", v.path, st.Uid, st.Mode&0o7777, v.uid, v.mode)
	}
	if got := readFile(t, v.path); got != v.content {
		t.Errorf("%s was written to: %q", v.path, got)
	}
}

// runBounded is run with a deadline: a launcher blocked on a FIFO is
// killed and reported instead of hanging the test.
func runBounded(t *testing.T, env []string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not return within 20 s (blocked on a FIFO?): %s", bin, args, out)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), output: string(out)}
}

// attack plants something at log (in a directory nobody owns) aimed at
// a root-owned victim, and returns the victim and what the refusal must
// say.
type attack struct {
	name  string
	plant func(t *testing.T, log string) victim
	says  string
}

var attacks = []attack{
	{"symlink to a root 0600 file", func(t *testing.T, log string) victim {
		v := newVictim(t, 0o600)
		asNobody(t, "ln", "-s", v.path, log)
		return v
	}, "symbolic link"},
	// fs.protected_hardlinks lets nobody link a file it may write but
	// does not own; a chown would then hand the file over.
	{"hard link to a root 0666 file", func(t *testing.T, log string) victim {
		v := newVictim(t, 0o666)
		asNobody(t, "ln", v.path, log)
		return v
	}, "hard links"},
	// Without fs.protected_hardlinks (or made by root), any file.
	{"hard link to a root 0600 file", func(t *testing.T, log string) victim {
		v := newVictim(t, 0o600)
		if err := os.Link(v.path, log); err != nil {
			t.Fatal(err)
		}
		return v
	}, "hard links"},
	{"FIFO", func(t *testing.T, log string) victim {
		asNobody(t, "mkfifo", log)
		return victim{}
	}, "FIFO"},
	{"file of another user", func(t *testing.T, log string) victim {
		v := newVictim(t, 0o644)
		if err := os.Rename(v.path, log); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(log, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		v.path, v.uid = log, 12345
		return v
	}, "owned by uid 12345"},
}

// TestRunRefusesPlantedLogFiles: `run --daemon --user nobody` with a log
// in a directory nobody owns fails with one line naming the log when
// nobody planted something there, and leaves the target alone: with and
// without --keepalive, for --stdout and --stderr.
func TestRunRefusesPlantedLogFiles(t *testing.T) {
	for _, a := range attacks {
		for _, flag := range []string{"--stdout", "--stderr"} {
			for _, keepalive := range []bool{false, true} {
				name := a.name + " " + flag
				if keepalive {
					name += " keepalive"
				}
				t.Run(name, func(t *testing.T) {
					dir := dirForNobody(t, 0o755, 65534)
					log, p := filepath.Join(dir, "app.log"), filepath.Join(dirForNobody(t, 0o755, 0), "d.pid")
					stopAtCleanup(t, p)
					v := a.plant(t, log)
					args := []string{"run", "--daemon", "--user", "nobody", "--pidfile", p, flag, log}
					if keepalive {
						args = append(args, "--keepalive")
					}
					r := runBounded(t, nil, dctl, append(args, "--", "sh", "-c", "echo started; echo started >&2; exec sleep 1000")...)
					if r.code != 1 || !strings.Contains(r.output, log) || !strings.Contains(r.output, a.says) || strings.Count(r.output, "\n") != 1 {
						t.Errorf("run: exit %d, output %q; want 1 and one line naming %s and %q", r.code, r.output, log, a.says)
					}
					if _, err := os.Stat(p); err == nil {
						t.Errorf("a daemon started")
					}
					if v.path != "" {
						v.check(t)
					}
				})
			}
		}
	}
}

// TestRunLogFileOwnership: run chowns only a log file it created; an
// existing one, nobody's in nobody's directory or root's in root's, is
// appended to as it is.
func TestRunLogFileOwnership(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dirOwner int
		existing bool
		fileUID  uint32
	}{
		{"new file in nobody's directory", 65534, false, 65534},
		{"new file in root's directory", 0, false, 65534},
		{"nobody's file in nobody's directory", 65534, true, 65534},
		{"root's file in root's directory", 0, true, 0},
	} {
		for _, keepalive := range []bool{false, true} {
			name := tc.name
			if keepalive {
				name += " keepalive"
			}
			t.Run(name, func(t *testing.T) {
				dir := dirForNobody(t, 0o755, tc.dirOwner)
				log, p := filepath.Join(dir, "app.log"), filepath.Join(dir, "run", "d.pid")
				stopAtCleanup(t, p)
				const before = "earlier line\n"
				if tc.existing {
					if err := os.WriteFile(log, []byte(before), 0o644); err != nil {
						t.Fatal(err)
					}
					if err := os.Chown(log, int(tc.fileUID), int(tc.fileUID)); err != nil {
						t.Fatal(err)
					}
				}
				args := []string{"run", "--daemon", "--user", "nobody", "--pidfile", p, "--stdout", log, "--stderr", log}
				if keepalive {
					args = append(args, "--keepalive")
				}
				if r := runBounded(t, nil, dctl, append(args, "--", "sh", "-c", "echo out; echo err >&2; exec sleep 1000")...); r.code != 0 {
					t.Fatalf("run: %d %s", r.code, r.output)
				}
				waitFor(t, "the program's lines", func() bool {
					b, _ := os.ReadFile(log)
					return strings.Contains(string(b), "out\n") && strings.Contains(string(b), "err\n")
				})
				text := readFile(t, log)
				if tc.existing && !strings.HasPrefix(text, before) {
					t.Errorf("log not appended to:\n%s", text)
				}
				var st syscall.Stat_t
				if err := syscall.Stat(log, &st); err != nil || st.Uid != tc.fileUID {
					t.Errorf("log owned by uid %d (%v), want %d", st.Uid, err, tc.fileUID)
				}
				if !tc.existing && st.Mode&0o777 != 0o640 {
					t.Errorf("new log mode %o, want 640", st.Mode&0o777)
				}
			})
		}
	}
}

// TestLibraryRefusesPlantedLogFile: the library's LogFile under a drop to
// nobody, in a directory nobody owns: the launcher fails with the reason
// naming the log, and the target is left alone.
func TestLibraryRefusesPlantedLogFile(t *testing.T) {
	for _, a := range attacks {
		for _, keepalive := range []bool{false, true} {
			name := a.name
			if keepalive {
				name += " keepalive"
			}
			t.Run(name, func(t *testing.T) {
				dir := dirForNobody(t, 0o755, 65534)
				log, p := filepath.Join(dir, "lib.log"), filepath.Join(dirForNobody(t, 0o755, 0), "run", "lib.pid")
				stopAtCleanup(t, p)
				v := a.plant(t, log)
				env := []string{"LIB_CLASSIC=1", "LIB_USER=nobody", "LIB_PIDFILE=" + p, "LIB_LOG=" + log}
				if keepalive {
					env = append(env, "LIB_KEEPALIVE=1")
				}
				r := runBounded(t, libEnv(env...), self(t), "-test.run=^$")
				if r.code != 1 || !strings.Contains(r.output, log) || !strings.Contains(r.output, a.says) {
					t.Errorf("launch: exit %d, output %q; want 1 and a line naming %s and %q", r.code, r.output, log, a.says)
				}
				if v.path != "" {
					v.check(t)
				}
			})
		}
	}
}

// TestLibraryReopenRefusesSwappedSymlink: a library daemon running as
// root logs into a directory nobody owns; between two rotations nobody
// renames the log and puts a symbolic link to a root file in its place.
// SIGHUP must not follow it: the daemon says why and keeps the old file.
func TestLibraryReopenRefusesSwappedSymlink(t *testing.T) {
	dir := dirForNobody(t, 0o755, 65534)
	log, p := filepath.Join(dir, "lib.log"), filepath.Join(dirForNobody(t, 0o755, 0), "run", "lib.pid")
	stopAtCleanup(t, p)
	if r := runBounded(t, libEnv("LIB_CLASSIC=1", "LIB_PIDFILE="+p, "LIB_LOG="+log), self(t), "-test.run=^$"); r.code != 0 {
		t.Fatalf("launch: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	v := newVictim(t, 0o600)
	asNobody(t, "mv", log, log+".1")
	asNobody(t, "ln", "-s", v.path, log)
	unix.Kill(pid, unix.SIGHUP)
	waitFor(t, "reload logged", func() bool {
		old, _ := os.ReadFile(log + ".1")
		target, _ := os.ReadFile(v.path)
		return strings.Contains(string(old), "reloaded") || strings.Contains(string(target), "reloaded")
	})
	v.check(t)
	if old := readFile(t, log+".1"); !strings.Contains(old, "cannot reopen the log file") || !strings.Contains(old, "symbolic link") {
		t.Errorf("renamed log lacks the reason:\n%s", old)
	}
	// A regular file again: the next SIGHUP takes it.
	asNobody(t, "rm", log)
	unix.Kill(pid, unix.SIGHUP)
	waitFor(t, "reload logged in a new file", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "reloaded")
	})
	var st syscall.Stat_t
	if err := syscall.Lstat(log, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Uid != 0 {
		t.Errorf("new log: mode %o uid %d (%v), want a regular file of root's", st.Mode, st.Uid, err)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	v.check(t)
}
