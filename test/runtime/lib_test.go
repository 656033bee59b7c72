//go:build linux

package runtimetest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// libEnv configures the library daemon helper.
func libEnv(kv ...string) []string { return append([]string{helperEnv + "=lib"}, kv...) }

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestLibraryClassicMode(t *testing.T) {
	dir := t.TempDir()
	p, log, info := filepath.Join(dir, "run", "lib.pid"), filepath.Join(dir, "lib.log"), filepath.Join(dir, "info")
	stopAtCleanup(t, p)
	env := libEnv("LIB_CLASSIC=1", "LIB_PIDFILE="+p, "LIB_LOG="+log, "LIB_INFO="+info)
	if r := run(t, env, self(t), "-test.run=^$"); r.code != 0 {
		t.Fatalf("launch: %d %s", r.code, r.output)
	}
	// The launcher returned only after the daemon called Ready, which it
	// does after writing its facts.
	facts := readFile(t, info)
	pid := readPID(t, p)
	if !strings.Contains(facts, "pid="+strconv.Itoa(pid)+" ") || !strings.Contains(facts, "cwd=/ umask=022") {
		t.Fatalf("facts %q, pidfile %d", facts, pid)
	}
	st, _ := procStat(pid)
	if st.sid == pid || st.ttyNr != 0 || st.ppid != os.Getpid() {
		t.Errorf("daemon stat %+v (pid %d)", st, pid)
	}
	// Job-control stops are ignored: SIGTSTP, SIGTTIN, SIGTTOU are bits 19-21.
	for _, line := range strings.Split(readFile(t, "/proc/"+strconv.Itoa(pid)+"/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:\t"); ok {
			if mask, _ := strconv.ParseUint(v, 16, 64); mask&0x380000 != 0x380000 {
				t.Errorf("SigIgn %s lacks TSTP/TTIN/TTOU", v)
			}
		}
	}
	// A second instance fails at once with the holder's pid.
	if r := run(t, env, self(t), "-test.run=^$"); r.code != 1 || !strings.Contains(r.output, "already running (pid "+strconv.Itoa(pid)+")") {
		t.Fatalf("second instance: %d %q", r.code, r.output)
	}
	// logrotate: rename, HUP, a new file appears.
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, dctl, "reload", "--pidfile", p); r.code != 0 {
		t.Fatalf("reload: %d %s", r.code, r.output)
	}
	waitFor(t, "reload hook", func() bool { b, _ := os.ReadFile(info + ".events"); return string(b) == "reload\n" })
	waitFor(t, "new log file", func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "reloaded") })
	if !strings.Contains(readFile(t, log+".1"), "serving") {
		t.Errorf("old log lacks the start lines")
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	if ws := waitGone(t, pid); ws.ExitStatus() != 0 {
		t.Errorf("daemon exit status %v", ws)
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("pidfile not removed at a clean exit")
	}
	if !strings.Contains(readFile(t, log), "stopping reason=SIGTERM") {
		t.Errorf("log lacks the stop line:\n%s", readFile(t, log))
	}
}

func TestLibraryStartErrorReachesLauncher(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lib.pid")
	stopAtCleanup(t, p)
	r := run(t, libEnv("LIB_CLASSIC=1", "LIB_PIDFILE="+p, "LIB_FAIL=cannot bind: boom"), self(t), "-test.run=^$")
	if r.code != 1 || !strings.Contains(r.output, "cannot bind: boom") {
		t.Fatalf("launch: %d %q", r.code, r.output)
	}
	waitFor(t, "pidfile removed", func() bool { _, err := os.Stat(p); return err != nil })
}

func TestLibraryKeepalive(t *testing.T) {
	dir := t.TempDir()
	p, info := filepath.Join(dir, "lib.pid"), filepath.Join(dir, "info")
	stopAtCleanup(t, p)
	env := libEnv("LIB_CLASSIC=1", "LIB_KEEPALIVE=1", "LIB_PIDFILE="+p, "LIB_INFO="+info)
	if r := run(t, env, self(t), "-test.run=^$"); r.code != 0 {
		t.Fatalf("launch: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	first := worker(t, angel)
	// A program re-executes itself as its angel: both stages see the
	// arguments it was started with (its main may parse them first).
	for _, pid := range []int{angel, first} {
		if got := cmdline(pid); !slices.Equal(got, []string{self(t), "-test.run=^$"}) {
			t.Errorf("pid %d argv %q", pid, got)
		}
	}
	if !strings.Contains(readFile(t, info), "pid="+strconv.Itoa(first)+" ") {
		t.Fatalf("ready came from %q, worker is %d", readFile(t, info), first)
	}
	unix.Kill(first, unix.SIGKILL)
	waitFor(t, "restarted worker", func() bool { w := children(angel); return len(w) == 1 && w[0] != first })
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	if ws := waitGone(t, angel); ws.ExitStatus() != 0 {
		t.Errorf("angel status %v", ws)
	}
}

func TestLibraryDropsToNobody(t *testing.T) {
	dir := dirForNobody(t, 0o777, 0)
	info := filepath.Join(dir, "info")
	p, pid := startAsNobody(t, dir, "LIB_INFO="+info)
	facts := readFile(t, info)
	if !strings.Contains(facts, "uid=65534 euid=65534 gid=65534 groups=[65534] setuid0=false") {
		t.Fatalf("facts %q", facts)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	if _, err := os.Stat(p); err == nil {
		t.Error("the unprivileged daemon could not remove its pidfile")
	}
}

// notifySocket listens where NOTIFY_SOCKET will point.
func notifySocket(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

// expect reads datagrams until one starts with want (skipping the
// others, which it returns).
func expect(t *testing.T, conn *net.UnixConn, want string) (skipped []string) {
	t.Helper()
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("waiting for %q (got %q): %v", want, skipped, err)
		}
		if msg := string(buf[:n]); strings.HasPrefix(msg, want) {
			return skipped
		} else {
			skipped = append(skipped, msg)
		}
	}
}

func TestLibraryNotifyProtocol(t *testing.T) {
	conn, sock := notifySocket(t)
	cmd := exec.Command(self(t), "-test.run=^$")
	// WATCHDOG_PID unset: the pings are ours to send.
	cmd.Env = append(os.Environ(), libEnv("NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=50000", "LIB_CLASSIC=1")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Classic mode is overridden under systemd: the process stays ours.
	expect(t, conn, "READY=1")
	expect(t, conn, "STATUS=serving")
	for range 3 {
		expect(t, conn, "WATCHDOG=1")
	}
	cmd.Process.Signal(unix.SIGHUP)
	expect(t, conn, "RELOADING=1\nMONOTONIC_USEC=")
	expect(t, conn, "READY=1")
	cmd.Process.Signal(unix.SIGTERM)
	expect(t, conn, "STOPPING=1")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

func TestEchodSocketActivated(t *testing.T) {
	conn, sock := notifySocket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnFile, _ := ln.(*net.TCPListener).File()
	ln.Close()
	// LISTEN_PID must be echod's pid: set it in a shell that then execs.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" --listen 127.0.0.1:1`, echod)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=echo", "NOTIFY_SOCKET="+sock, "ECHOD_GREETING=hello from echod")
	cmd.ExtraFiles = []*os.File{lnFile}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lnFile.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	expect(t, conn, "READY=1")
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if line, _ := r.ReadString('\n'); line != "hello from echod\n" {
		t.Fatalf("greeting %q", line)
	}
	c.Write([]byte("ping\n"))
	if line, _ := r.ReadString('\n'); line != "ping\n" {
		t.Fatalf("echo %q", line)
	}
	cmd.Process.Signal(unix.SIGTERM)
	expect(t, conn, "STOPPING=1")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("echod exit: %v", err)
	}
}

func TestEchodClassic(t *testing.T) {
	dir := t.TempDir()
	p, log := filepath.Join(dir, "echod.pid"), filepath.Join(dir, "echod.log")
	stopAtCleanup(t, p)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if r := run(t, nil, echod, "--daemon", "--listen", addr, "--pidfile", p, "--log", log); r.code != 0 {
		t.Fatalf("echod --daemon: %d %s", r.code, r.output)
	}
	pid := readPID(t, p)
	c, err := net.Dial("tcp", addr) // listening already: it was ready when the launcher returned
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("abc\n"))
	if line, _ := bufio.NewReader(c).ReadString('\n'); line != "abc\n" {
		t.Fatalf("echo %q", line)
	}
	c.Close()
	if r := run(t, nil, echod, "--daemon", "--listen", addr, "--pidfile", filepath.Join(dir, "other.pid")); r.code != 1 || !strings.Contains(r.output, "address already in use") {
		t.Fatalf("second echod on a busy port: %d %q", r.code, r.output)
	}
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	waitGone(t, pid)
	if text := readFile(t, log); !strings.Contains(text, "listening") || !strings.Contains(text, "stopped") {
		t.Fatalf("log:\n%s", text)
	}
}

// dirForNobody makes a directory with mode, owned by owner, for a daemon
// that drops to nobody: t.TempDir's parent is private to root, so nobody
// needs one elsewhere to get in. Mode 0755 and owner root make it like
// /var/log, where nobody cannot create files. It skips the test unless
// it runs as root.
func dirForNobody(t *testing.T, mode os.FileMode, owner int) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	dir, err := os.MkdirTemp("", "runtimetest-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, owner, owner); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startAsNobody launches the library daemon in classic mode as nobody,
// with the extra LIB_* settings, and returns the pidfile and the daemon's
// pid once it is ready. The pidfile is in a new run directory that the
// library gives to nobody, inside a directory of root's alone (as /run):
// the library gives a directory away only when no one else can write its
// parent. dir is where the test's other files go.
func startAsNobody(t *testing.T, dir string, env ...string) (string, int) {
	t.Helper()
	p := filepath.Join(dirForNobody(t, 0o755, 0), "run", "lib.pid")
	stopAtCleanup(t, p)
	env = append([]string{"LIB_CLASSIC=1", "LIB_USER=nobody", "LIB_PIDFILE=" + p}, env...)
	if r := run(t, libEnv(env...), self(t), "-test.run=^$"); r.code != 0 {
		t.Fatalf("launch: %d %s", r.code, r.output)
	}
	return p, readPID(t, p)
}

// rotateWarning starts the line the daemon logs at start when its user
// cannot create a new log file in the log's directory.
const rotateWarning = "WARN log directory not writable by the daemon's user"

func TestLibraryLogRotationAfterDrop(t *testing.T) {
	dir := dirForNobody(t, 0o755, 0)
	log := filepath.Join(dir, "lib.log")
	p, pid := startAsNobody(t, dir, "LIB_LOG="+log)
	count := func(path, s string) int { b, _ := os.ReadFile(path); return strings.Count(string(b), s) }
	// A plain rename: nobody cannot make a new lib.log in a root-owned
	// directory, so the daemon says so once and keeps the renamed file.
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	unix.Kill(pid, unix.SIGHUP)
	waitFor(t, "reload logged in the renamed file", func() bool { return count(log+".1", "reloaded") == 1 })
	old := readFile(t, log+".1")
	if strings.Count(old, "cannot reopen the log file") != 1 || !strings.Contains(old, "permission denied") {
		t.Errorf("renamed log lacks one reopen error line:\n%s", old)
	}
	if _, err := os.Stat(log); err == nil {
		t.Errorf("%s exists: nobody created a file in a root-owned directory", log)
	}
	// logrotate's "create 0640 nobody nogroup": the new file exists before
	// the HUP and another process already wrote to it.
	const header = "written by logrotate\n"
	if err := os.WriteFile(log, []byte(header), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(log, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	unix.Kill(pid, unix.SIGHUP)
	waitFor(t, "reload logged in the new file", func() bool { return count(log, "reloaded") == 1 })
	if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
		t.Fatalf("stop: %d %s", r.code, r.output)
	}
	if ws := waitGone(t, pid); ws.ExitStatus() != 0 {
		t.Errorf("daemon exit status %v", ws)
	}
	// Appended to, not truncated or overwritten; the renamed file got nothing more.
	if text := readFile(t, log); !strings.HasPrefix(text, header) || !strings.Contains(text, "stopping reason=SIGTERM") {
		t.Errorf("new log:\n%s", text)
	}
	if now := readFile(t, log+".1"); now != old {
		t.Errorf("lines went to the renamed log after the HUP:\n%s", strings.TrimPrefix(now, old))
	}
}

func TestLibraryWarnsWhenLogDirNotWritable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		owner int
		warns bool
	}{{"root-owned", 0, true}, {"owned by nobody", 65534, false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := dirForNobody(t, 0o755, tc.owner)
			log := filepath.Join(dir, "lib.log")
			p, pid := startAsNobody(t, dir, "LIB_LOG="+log)
			// The warning comes before Ready, so before the launcher returned.
			text := readFile(t, log)
			want := 0
			if tc.warns {
				want = 1
			}
			if got := strings.Count(text, rotateWarning); got != want {
				t.Errorf("%d warnings, want %d:\n%s", got, want, text)
			}
			if tc.warns && !strings.Contains(text, "dir="+dir+" user=nobody") {
				t.Errorf("warning does not name the directory and the user:\n%s", text)
			}
			if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
				t.Fatalf("stop: %d %s", r.code, r.output)
			}
			waitGone(t, pid)
		})
	}
	// Under keepalive the first worker warns; a restarted one does not
	// repeat it.
	t.Run("keepalive restart", func(t *testing.T) {
		dir := dirForNobody(t, 0o755, 0)
		log := filepath.Join(dir, "lib.log")
		p, angel := startAsNobody(t, dir, "LIB_LOG="+log, "LIB_KEEPALIVE=1")
		first := worker(t, angel)
		unix.Kill(first, unix.SIGKILL)
		// Each worker logs "serving" once its setup (and any warning) is done.
		waitFor(t, "the restarted worker serving", func() bool {
			b, _ := os.ReadFile(log)
			return strings.Count(string(b), "serving") >= 2
		})
		if got := strings.Count(readFile(t, log), rotateWarning); got != 1 {
			t.Errorf("%d warnings after a restart, want 1:\n%s", got, readFile(t, log))
		}
		if r := run(t, nil, dctl, "stop", "--pidfile", p); r.code != 0 {
			t.Fatalf("stop: %d %s", r.code, r.output)
		}
		waitGone(t, angel)
	})
}
