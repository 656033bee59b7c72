package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const nofile = 1024

// Peer binaries as Debian installs them.
const (
	ssdPath         = "/usr/sbin/start-stop-daemon"
	daemonPath      = "/usr/bin/daemon"
	runsvPath       = "/usr/bin/runsv"
	supervisordPath = "/usr/bin/supervisord"
	sleepPath       = "/bin/sleep"
)

// env is what every benchmark shares.
type env struct {
	cfg   config
	dir   string
	bin   map[string]string // daemonctl, echod, launcher, waitloop, idle
	r     *reaper
	mon   *procMon
	watch *fileWatch
	md    strings.Builder
	fails []string
}

func (e *env) have(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// fail records a benchmark that could not run.
func (e *env) fail(bench string, err error) {
	msg := bench + ": " + err.Error()
	fmt.Fprintln(os.Stderr, "FAIL", msg)
	e.fails = append(e.fails, msg)
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
}

func run(c config) error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root")
	}
	// Not under /tmp: daemon(1) refuses to run programs below a directory
	// that others can write.
	dir, err := os.MkdirTemp(c.workdir, "bench-runtime-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	} else {
		logf("work directory %s", dir)
	}
	e := &env{cfg: c, dir: dir, bin: map[string]string{}}
	if err := e.build(); err != nil {
		return err
	}
	header := e.header() // runs dpkg-query: before the reaper owns SIGCHLD
	if err := setNofile(nofile); err != nil {
		return err
	}
	if e.r, err = newReaper(filepath.Join(dir, "children.log")); err != nil {
		return err
	}
	if e.mon, err = newProcMon(e.r); err != nil {
		return err
	}
	if e.watch, err = newFileWatch(dir); err != nil {
		return err
	}
	e.md.WriteString(header)
	for _, b := range []struct {
		name string
		fn   func() error
	}{
		{"start", e.benchStart},
		{"stop", e.benchStop},
		{"rss", e.benchRSS},
		{"restart", e.benchRestart},
		{"idle", e.benchIdle},
	} {
		if c.only != "" && !slices.Contains(strings.Split(c.only, ","), b.name) {
			continue
		}
		logf("benchmark %s", b.name)
		if err := b.fn(); err != nil {
			e.fail(b.name, err)
		}
		if err := e.r.killAll(); err != nil {
			e.fail(b.name, err)
		}
	}
	if d := e.mon.dropped(); d > 0 {
		fmt.Fprintf(&e.md, "\nThe process-events socket overran %d times; iterations that lost their event were retried or reported as failed.\n", d)
	}
	if len(e.fails) > 0 {
		e.md.WriteString("\n## Failures\n\n")
		for _, f := range e.fails {
			fmt.Fprintf(&e.md, "- %s\n", f)
		}
	}
	_, _ = io.WriteString(os.Stdout, e.md.String())
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(e.md.String()), 0o644); err != nil {
			return err
		}
	}
	if len(e.fails) > 0 {
		if logs, err := os.ReadFile(filepath.Join(dir, "children.log")); err == nil && len(logs) > 0 {
			fmt.Fprintf(os.Stderr, "--- children's output (last 4 kB) ---\n%s\n", tail(logs, 4096))
		}
		return fmt.Errorf("%d benchmark(s) failed to run", len(e.fails))
	}
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// build compiles daemonctl, echod and the harness's own helpers.
func (e *env) build() error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	// The flags of the Makefile's build target (CGO_ENABLED=0 -trimpath,
	// echod stripped), so that what is measured is what ships.
	targets := []struct{ name, pkg, prebuilt, ldflags string }{
		{"daemonctl", "./cmd/daemonctl", e.cfg.daemonctl, ""},
		{"echod", "./cmd/echod", e.cfg.echod, "-s -w"},
		{"launcher", "./bench/runtime/launcher", "", ""},
		{"waitloop", "./bench/runtime/waitloop", "", ""},
		{"idle", "./bench/runtime/idle", "", ""},
	}
	// run --keepalive prefers a daemonctl-angel next to daemonctl; build it
	// too when the tree has one and daemonctl is built here.
	if _, err := os.Stat(filepath.Join(root, "cmd", "daemonctl-angel")); err == nil && e.cfg.daemonctl == "" {
		targets = append(targets, struct{ name, pkg, prebuilt, ldflags string }{"daemonctl-angel", "./cmd/daemonctl-angel", "", ""})
	}
	for _, t := range targets {
		if t.prebuilt != "" {
			abs, err := filepath.Abs(t.prebuilt)
			if err != nil {
				return err
			}
			e.bin[t.name] = abs
			continue
		}
		out := filepath.Join(e.dir, "bin", t.name)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+t.ldflags, "-o", out, t.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", t.pkg, err, b)
		}
		e.bin[t.name] = out
	}
	return nil
}

func (e *env) header() string {
	var b strings.Builder
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	mode := "full"
	if e.cfg.smoke {
		mode = "smoke (numbers are not meaningful)"
	}
	fmt.Fprintf(&b, "Measured %s, %s run: Linux %s, %d CPUs, `ulimit -n %d` (soft and hard), %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), mode, unix.ByteSliceToString(uts.Release[:]),
		runtime.NumCPU(), nofile, runtime.Version())
	if out, err := exec.Command(e.bin["daemonctl"], "version").Output(); err == nil {
		angel := "the angel stage inside daemonctl"
		if e.have(filepath.Join(filepath.Dir(e.bin["daemonctl"]), "daemonctl-angel")) {
			angel = "daemonctl-angel installed next to daemonctl"
		}
		fmt.Fprintf(&b, "daemonctl: %s; keepalive runs %s.\n", strings.TrimSpace(string(out)), angel)
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version}, ", "dpkg", "daemon", "runit", "supervisor").Output(); err == nil {
		fmt.Fprintf(&b, "Peers (Debian packages): %s.\n", strings.TrimSuffix(string(out), ", "))
	}
	fmt.Fprintf(&b, "Start/stop: %d iterations per peer; restart: %d kill -9 per supervisor (worker at least %v old); RSS: %d instance(s) per supervisor; idle window %v.\n",
		e.cfg.n, e.cfg.restarts, e.cfg.minAge, e.cfg.rssRounds, e.cfg.idle)
	return b.String()
}
