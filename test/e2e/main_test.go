//go:build e2e && linux

package e2e

import (
	"context"
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

// rootfsDir is the cached rootfs, set by TestMain.
var rootfsDir string

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	code := m.Run()
	artifacts.cleanup()
	os.Exit(code)
}

func setup() error {
	var err error
	if cfg, err = loadConfig(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("the e2e tests need root (they mount overlays, create cgroups and run systemd-nspawn)")
	}
	for _, tool := range []string{"systemd-nspawn", "nsenter", "mmdebstrap", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found in PATH (see test/e2e/README.md)", tool)
		}
	}
	if err := os.MkdirAll(filepath.Join(cfg.cacheDir, "runs"), 0o755); err != nil {
		return err
	}
	cleanStaleRuns()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) }
	rootfsDir, err = ensureRootfs(ctx, cfg.cacheDir, logf)
	return err
}

// cleanStaleRuns unmounts and removes the overlays and cgroups that an
// earlier run, killed before its cleanup, left behind. Runs are named
// "<machine>.<random>" and machines end in "-<pid>"; the directories of
// processes that are still alive (a concurrent run) are left alone.
func cleanStaleRuns() {
	// Kill first: a container whose test binary died may still run on its
	// overlay. Killing its PID 1 takes the whole PID namespace down.
	var stale []string
	for _, root := range cgroupRoots() {
		cgs, _ := filepath.Glob(filepath.Join(root, "daemonctl-e2e", "*"))
		for _, cg := range cgs {
			if ownerAlive(filepath.Base(cg)) {
				continue
			}
			for _, pid := range cgroupPIDs(cg) {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			stale = append(stale, cg)
		}
	}
	for _, cg := range stale {
		deadline := time.Now().Add(5 * time.Second)
		for len(cgroupPIDs(cg)) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if err := removeCgroup(cg); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
	}
	runs, _ := filepath.Glob(filepath.Join(cfg.cacheDir, "runs", "*"))
	for _, r := range runs {
		machine, _, _ := strings.Cut(filepath.Base(r), ".")
		if ownerAlive(machine) {
			continue
		}
		fmt.Fprintf(os.Stderr, "e2e: removing stale run %s\n", r)
		if err := unmountRetry(filepath.Join(r, "merged")); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			continue
		}
		_ = os.RemoveAll(r)
	}
}

// ownerAlive reports whether the test process named in a machine name
// ("...-<pid>") is still running.
func ownerAlive(machine string) bool {
	i := strings.LastIndexByte(machine, '-')
	pid, err := strconv.Atoi(machine[i+1:])
	if err != nil || pid == os.Getpid() {
		return false
	}
	return unix.Kill(pid, 0) == nil
}
