//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// initMode says what runs as PID 1 in a container.
type initMode int

const (
	// bootSystemd boots the rootfs's systemd as PID 1 (systemd-nspawn -b).
	bootSystemd initMode = iota
	// noInit runs "sleep infinity" under nspawn's stub init, which reaps
	// orphans like an init would but is not one: no /run/systemd/system.
	noInit
)

// container is one systemd-nspawn container on a private overlay of the
// cached rootfs, in a cgroup of its own.
type container struct {
	t testing.TB // where failures go; see on
	*box
}

// box is a container's state, shared by the views on returns.
type box struct {
	name    string
	runDir  string   // holds upper, work, merged and the nspawn log
	root    string   // the merged overlay: the container's root directory
	cgroups []string // per-hierarchy cgroup directories created for it
	nspawn  *exec.Cmd
	waited  chan error // receives nspawn's exit
	leader  int        // host PID of the container's PID 1
	pidNS   string     // readlink of the leader's /proc/PID/ns/pid
	mode    initMode
}

// cgroupRoots returns the cgroup hierarchies a container's cgroup is created
// in: the unified hierarchy alone on a pure cgroup v2 host, else the
// name=systemd hierarchy (and the unified one of a hybrid host).
func cgroupRoots() []string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return []string{"/sys/fs/cgroup"}
	}
	var roots []string
	for _, d := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err == nil {
			roots = append(roots, d)
		}
	}
	return roots
}

// startContainer starts a container of the given mode on a fresh overlay of
// rootfs and waits until it is ready: systemd reports running or degraded, or
// the stub init runs its payload. Teardown is registered with t.Cleanup and
// fails the test if any process of the container survives it.
func startContainer(t testing.TB, rootfs string, mode initMode) *container {
	t.Helper()
	name := containerName(t)
	runDir, err := os.MkdirTemp(filepath.Join(cfg.cacheDir, "runs"), name+".")
	if err != nil {
		t.Fatalf("container: %v", err)
	}
	c := &container{t: t, box: &box{name: name, runDir: runDir, root: filepath.Join(runDir, "merged"), mode: mode}}
	t.Cleanup(c.teardown)

	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(runDir, d), 0o755); err != nil {
			t.Fatalf("container: %v", err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", rootfs, filepath.Join(runDir, "upper"), filepath.Join(runDir, "work"))
	if err := unix.Mount("overlay", c.root, "overlay", 0, opts); err != nil {
		t.Fatalf("container: mount overlay on %s: %v", c.root, err)
	}

	for _, r := range cgroupRoots() {
		d := filepath.Join(r, "daemonctl-e2e", name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("container: cgroup: %v", err)
		}
		c.cgroups = append(c.cgroups, d)
	}

	c.spawn(mode)
	return c
}

// spawn starts systemd-nspawn on the container's overlay in the given mode
// and waits until the container is ready.
func (c *container) spawn(mode initMode) {
	t := c.t
	t.Helper()
	c.mode, c.leader, c.pidNS = mode, 0, ""
	args := []string{
		"-D", c.root, "--machine", c.name, "--register=no", "--keep-unit",
		"--private-network", "--console=passive", "--link-journal=no",
	}
	if mode == bootSystemd {
		args = append(args, "--boot")
	} else {
		args = append(args, "--as-pid2", "/bin/sleep", "infinity")
	}
	// Move the shell into the container's cgroups, then become nspawn, so
	// that nspawn's payload and supervisor cgroups are created below ours.
	script := `for cg in $E2E_CGROUPS; do echo $$ > "$cg/cgroup.procs" || exit 97; done; exec systemd-nspawn "$@"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	cmd.Env = append(os.Environ(), "E2E_CGROUPS="+strings.Join(c.cgroups, " "), "SYSTEMD_LOG_COLOR=0")
	logFile, err := os.OpenFile(filepath.Join(c.runDir, "nspawn.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("container: %v", err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true, Pdeathsig: unix.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("container: start systemd-nspawn: %v", err)
	}
	c.nspawn = cmd
	c.waited = make(chan error, 1)
	go func() { c.waited <- cmd.Wait() }()

	start := time.Now()
	if err := c.waitLeader(30 * time.Second); err != nil {
		t.Fatalf("container %s: %v\nnspawn log:\n%s", c.name, err, c.log())
	}
	if mode == bootSystemd {
		if err := c.waitBooted(90 * time.Second); err != nil {
			t.Fatalf("container %s: %v\nnspawn log:\n%s", c.name, err, c.log())
		}
	}
	t.Logf("container %s: ready in %s (leader PID %d)", c.name, time.Since(start).Round(100*time.Millisecond), c.leader)
}

// restart stops the container and starts it again on the same overlay in
// mode: what a machine does when it first boots an image built without an
// init running.
func (c *container) restart(mode initMode) {
	c.t.Helper()
	c.halt()
	if c.t.Failed() {
		c.t.FailNow()
	}
	c.spawn(mode)
}

// containerName derives a machine name (at most 64 characters, hostname
// safe) from the test name and the process ID.
func containerName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := b.String()
	if len(n) > 40 {
		n = n[:40]
	}
	return fmt.Sprintf("e2e-%s-%d", strings.Trim(n, "-"), os.Getpid())
}

// waitLeader waits until nspawn's child, the container's PID 1, has become
// the init of the requested mode.
func (c *container) waitLeader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.waited:
			c.waited <- err
			return fmt.Errorf("systemd-nspawn exited early: %v", err)
		default:
		}
		for _, child := range childrenOf(c.nspawn.Process.Pid) {
			comm := procComm(child)
			switch {
			case c.mode == bootSystemd && comm == "systemd",
				c.mode == noInit && comm == "(sd-stubinit)" && len(childrenOf(child)) > 0:
				ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", child))
				if err != nil {
					continue
				}
				c.leader, c.pidNS = child, ns
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("no container init appeared under systemd-nspawn")
}

// waitBooted waits until "systemctl is-system-running --wait" reports
// running or degraded; anything else (or a timeout) is an error that lists
// the failed units.
func (c *container) waitBooted(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		r := c.execCtx(ctx, nil, "systemctl", "is-system-running", "--wait")
		state := strings.TrimSpace(r.stdout)
		switch state {
		case "running":
			return nil
		case "degraded":
			failed := c.exec("systemctl", "--failed", "--no-legend", "--no-pager")
			c.t.Logf("container %s: system degraded:\n%s", c.name, failed.stdout)
			return nil
		}
		last = state + " " + r.stderr
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("systemd did not finish booting: %s", last)
}

// result is the outcome of a command run in a container.
type result struct {
	cmdline string
	stdout  string
	stderr  string
	code    int   // exit status; -1 when it did not exit normally
	err     error // non-nil when the command could not run or did not exit 0
}

func (r result) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", r.cmdline, r.code, r.stdout, r.stderr)
}

// containerEnv is the whole environment of commands run in a container.
var containerEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C.UTF-8", "TERM=dumb", "HOME=/root",
	"DEBIAN_FRONTEND=noninteractive", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0",
}

// exec runs argv in all of the container's namespaces with a clean
// environment and a two-minute limit.
func (c *container) exec(argv ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return c.execCtx(ctx, nil, argv...)
}

// sh runs a POSIX shell script in the container.
func (c *container) sh(script string) result {
	return c.exec("/bin/sh", "-c", script)
}

func (c *container) execCtx(ctx context.Context, stdin []byte, argv ...string) result {
	args := append([]string{"--target", strconv.Itoa(c.leader), "--all", "--", "/usr/bin/env", "-i"}, containerEnv...)
	args = append(args, argv...)
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// A daemon that keeps the caller's stdout or stderr open would make
	// Wait block until it dies; give up on the pipes 10s after the command
	// exits and report it (exec.ErrWaitDelay).
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	r := result{cmdline: strings.Join(argv, " "), stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode(), err: err}
	if err != nil {
		r.err = fmt.Errorf("%s: %w", r.cmdline, err)
	}
	return r
}

// on returns a view of c whose failures are reported to t (a subtest).
func (c *container) on(t testing.TB) *container {
	return &container{t: t, box: c.box}
}

// must runs argv and fails the test unless it exits 0.
func (c *container) must(argv ...string) string {
	c.t.Helper()
	r := c.exec(argv...)
	if r.err != nil {
		c.t.Fatalf("in container: %v", r)
	}
	return r.stdout
}

// mustSh runs a shell script and fails the test unless it exits 0.
func (c *container) mustSh(script string) string {
	c.t.Helper()
	return c.must("/bin/sh", "-c", script)
}

// writeFile writes data to path inside the container, creating parents.
func (c *container) writeFile(path string, data []byte, mode os.FileMode) {
	c.t.Helper()
	host := filepath.Join(fmt.Sprintf("/proc/%d/root", c.leader), path)
	if err := os.MkdirAll(filepath.Dir(host), 0o755); err != nil {
		c.t.Fatalf("container: %v", err)
	}
	if err := os.WriteFile(host, data, mode); err != nil {
		c.t.Fatalf("container: %v", err)
	}
}

// copyIn copies a host file into the container's dir and returns its path
// inside the container.
func (c *container) copyIn(hostPath, dir string) string {
	c.t.Helper()
	data, err := os.ReadFile(hostPath)
	if err != nil {
		c.t.Fatalf("container: %v", err)
	}
	p := filepath.Join(dir, filepath.Base(hostPath))
	c.writeFile(p, data, 0o644)
	return p
}

// exists reports whether path exists inside the container.
func (c *container) exists(path string) bool {
	_, err := os.Lstat(filepath.Join(fmt.Sprintf("/proc/%d/root", c.leader), path))
	return err == nil
}

func (c *container) log() string {
	data, _ := os.ReadFile(filepath.Join(c.runDir, "nspawn.log"))
	return tail(string(data), 40)
}

// teardown powers the container off (SIGTERM to nspawn asks a booted
// systemd to shut down; without an init nspawn kills the payload), escalates
// to SIGKILL of every process in its cgroups, checks that nothing of the
// container survived, then unmounts and removes the overlay and cgroups.
func (c *container) teardown() {
	t := c.t
	if c.leader > 0 && t.Failed() && c.mode == bootSystemd && !cfg.quiet {
		r := c.exec("journalctl", "-b", "--no-pager", "-n", "150", "-o", "short-monotonic")
		t.Logf("container %s: journal tail (test failed):\n%s", c.name, r.stdout)
	}
	c.halt()
	if c.root != "" {
		if err := unmountRetry(c.root); err != nil {
			t.Errorf("container %s: %v", c.name, err)
		} else if err := os.RemoveAll(c.runDir); err != nil {
			t.Errorf("container %s: %v", c.name, err)
		}
	}
	for _, cg := range c.cgroups {
		if err := removeCgroup(cg); err != nil {
			t.Errorf("container %s: %v", c.name, err)
		}
	}
	_ = os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", c.name))
}

// halt stops nspawn (SIGTERM, which powers a booted systemd off; SIGKILL
// of everything after 30s) and fails the test if any process of the
// container survives. The overlay and cgroups stay for spawn or teardown.
func (c *container) halt() {
	t := c.t
	if c.nspawn == nil {
		return
	}
	defer func() { c.nspawn = nil }()
	start := time.Now()
	_ = c.nspawn.Process.Signal(unix.SIGTERM)
	select {
	case err := <-c.waited:
		if err != nil && c.mode == bootSystemd {
			t.Logf("container %s: systemd-nspawn: %v\n%s", c.name, err, c.log())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("container %s: systemd-nspawn did not exit 30s after SIGTERM; killing", c.name)
		c.killAll()
		select {
		case <-c.waited:
		case <-time.After(10 * time.Second):
			t.Errorf("container %s: systemd-nspawn survived SIGKILL", c.name)
		}
	}
	t.Logf("container %s: stopped in %s", c.name, time.Since(start).Round(100*time.Millisecond))
	if left := c.survivors(5 * time.Second); len(left) > 0 {
		t.Errorf("container %s: processes left behind: %v; killing them", c.name, left)
		c.killAll()
	}
}

// survivors waits up to timeout for the container's processes to be gone
// and returns the host PIDs of those still there: any process in the
// container's PID namespace or in one of its cgroups.
func (c *container) survivors(timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		var left []int
		seen := map[int]bool{}
		if c.pidNS != "" {
			for _, pid := range allPIDs() {
				if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && ns == c.pidNS {
					left, seen[pid] = append(left, pid), true
				}
			}
		}
		for _, cg := range c.cgroups {
			for _, pid := range cgroupPIDs(cg) {
				if !seen[pid] {
					left, seen[pid] = append(left, pid), true
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killAll SIGKILLs nspawn, the container's PID 1 (which takes its PID
// namespace down) and everything in the container's cgroups.
func (c *container) killAll() {
	if c.nspawn != nil && c.nspawn.Process != nil {
		_ = c.nspawn.Process.Kill()
	}
	if c.leader > 0 {
		_ = unix.Kill(c.leader, unix.SIGKILL)
	}
	for _, cg := range c.cgroups {
		if _, err := os.Stat(filepath.Join(cg, "cgroup.kill")); err == nil {
			_ = os.WriteFile(filepath.Join(cg, "cgroup.kill"), []byte("1"), 0o644)
			continue
		}
		for _, pid := range cgroupPIDs(cg) {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// unmountRetry unmounts dir, retrying briefly while it is busy.
func unmountRetry(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = unix.Unmount(dir, 0); err == nil || errors.Is(err, unix.EINVAL) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("container: unmount %s: %w", dir, err)
}

// removeCgroup removes a cgroup directory and its children, deepest first.
func removeCgroup(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("container: cgroup %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		var rerr error
		for try := 0; try < 20; try++ {
			if rerr = unix.Rmdir(dirs[i]); rerr == nil || errors.Is(rerr, unix.ENOENT) {
				rerr = nil
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if rerr != nil {
			return fmt.Errorf("container: remove cgroup %s: %w", dirs[i], rerr)
		}
	}
	return nil
}

// cgroupPIDs lists the PIDs in a cgroup and all of its descendants.
func cgroupPIDs(dir string) []int {
	var pids []int
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// allPIDs lists the processes on the host.
func allPIDs() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// childrenOf lists the children of pid (from every thread's children file).
func childrenOf(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []int
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if k, err := strconv.Atoi(s); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids
}

func procComm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}
