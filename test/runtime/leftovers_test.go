//go:build linux

package runtimetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Without --keepalive the program's children inherit the locked pidfile
// descriptor (fd 3) and with it the lock. These tests check that status,
// stop and run tell a live daemon from one whose main process is gone while
// such leftovers still hold the lock.

// startLeaving runs `daemonctl run --daemon` with an sh script and returns
// the daemon's pid and the pid of the one child the script starts. The
// script must create the file named by $READY once its child is running.
func startLeaving(t *testing.T, p, script string) (pid, child int) {
	t.Helper()
	ready := filepath.Join(filepath.Dir(p), "ready")
	env := []string{"READY=" + ready}
	if r := run(t, env, dctl, "run", "--daemon", "--pidfile", p, "--", "sh", "-c", script); r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	pid = readPID(t, p)
	waitFor(t, "the script's child", func() bool { _, err := os.Stat(ready); return err == nil })
	st, err := procStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.pgrp != pid {
		t.Fatalf("daemon %d is in process group %d, want its own", pid, st.pgrp)
	}
	kids := children(pid)
	if len(kids) != 1 {
		t.Fatalf("daemon %d has children %v, want one", pid, kids)
	}
	child = kids[0]
	if got := fdTargets(child); !contains(got, "3="+p) {
		t.Fatalf("child %d does not hold the pidfile as fd 3: %v", child, got)
	}
	return pid, child
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// killAtCleanup makes sure pid is gone and reaped after the test, whatever
// the code under test did.
func killAtCleanup(t *testing.T, pid int) {
	t.Cleanup(func() {
		if alive(pid) {
			unix.Kill(pid, unix.SIGKILL)
			waitGone(t, pid)
		}
	})
}

// The main process is killed with SIGKILL; its backgrounded child keeps
// the lock through the inherited fd 3.
func TestMainKilledChildHoldsLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	pid, child := startLeaving(t, p, `sleep 1000 & : > "$READY"; wait`)
	killAtCleanup(t, child)
	unix.Kill(pid, unix.SIGKILL)
	waitGone(t, pid)

	r := run(t, nil, dctl, "status", "--pidfile", p)
	if r.code != 1 || !strings.Contains(r.output, strconv.Itoa(pid)) {
		t.Fatalf("status with the main pid gone: %d %q, want 1 (dead, pidfile exists)", r.code, r.output)
	}
	r = run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sleep", "1000")
	if r.code != 1 || !strings.Contains(r.output, "pid "+strconv.Itoa(pid)+" is gone") || !strings.Contains(r.output, "stop") {
		t.Fatalf("run over the leftovers: %d %q, want a refusal that says pid %d is gone", r.code, r.output, pid)
	}
	if !alive(child) {
		t.Fatalf("refused run touched the leftover %d", child)
	}
	r = run(t, nil, dctl, "reload", "--pidfile", p)
	if r.code != 1 || !strings.Contains(r.output, "not running") {
		t.Fatalf("reload with the main pid gone: %d %q", r.code, r.output)
	}
	if !alive(child) {
		t.Fatalf("reload signalled the leftover %d", child)
	}

	r = run(t, nil, dctl, "stop", "--pidfile", p)
	if r.code != 0 || !strings.Contains(r.output, "process group "+strconv.Itoa(pid)) {
		t.Fatalf("stop: %d %q", r.code, r.output)
	}
	if alive(child) {
		t.Fatalf("leftover %d still alive after stop returned", child)
	}
	if ws := waitGone(t, child); ws.Signal() != unix.SIGTERM {
		t.Errorf("leftover ended with %v, want SIGTERM", ws)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("stop left the pidfile")
	}
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 3 {
		t.Fatalf("status after stop: %d %q", r.code, r.output)
	}
	if r := run(t, nil, dctl, "run", "--daemon", "--pidfile", p, "--", "sleep", "1000"); r.code != 0 {
		t.Fatalf("run after stop: %d %q", r.code, r.output)
	}
}

// The program ignores SIGTERM, and so does its child (an ignored signal
// stays ignored across fork and exec): after the timeout stop kills the
// main pid, finds the lock still held and kills the process group.
func TestStopKillsTermIgnoringLeftovers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	pid, child := startLeaving(t, p, `trap "" TERM; while :; do sleep 1000 & : > "$READY"; wait; done`)
	killAtCleanup(t, child)
	r := run(t, nil, dctl, "stop", "--timeout", "300ms", "--pidfile", p)
	if r.code != 0 || !strings.Contains(r.output, "SIGKILL") {
		t.Fatalf("stop: %d %q", r.code, r.output)
	}
	for _, q := range []int{pid, child} {
		if alive(q) {
			t.Fatalf("pid %d still alive after stop returned", q)
		}
		if ws := waitGone(t, q); ws.Signal() != unix.SIGKILL {
			t.Errorf("pid %d ended with %v, want SIGKILL", q, ws)
		}
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("stop left the pidfile")
	}
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 3 {
		t.Fatalf("status after stop: %d %q", r.code, r.output)
	}
}

// A child that left the daemon's process group (setsid) cannot be found
// through the group: stop must say so and fail rather than report success
// or signal anything else, and leave the pidfile to show what happened.
func TestStopRefusesLeftoversOutsideGroup(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	// A background job of a non-interactive sh shares sh's group, so
	// setsid(1) calls setsid(2) in place (no fork) and runs the inner sh,
	// which reports from the new session and becomes sleep.
	pid, child := startLeaving(t, p, `setsid sh -c ': > "$READY"; exec sleep 1000' & wait`)
	killAtCleanup(t, child)
	if st, _ := procStat(child); st.pgrp == pid {
		t.Fatalf("child %d did not leave the group", child)
	}
	unix.Kill(pid, unix.SIGKILL)
	waitGone(t, pid)
	r := run(t, nil, dctl, "stop", "--timeout", "200ms", "--pidfile", p)
	if r.code != 1 || !strings.Contains(r.output, p) || !strings.Contains(r.output, "outside") {
		t.Fatalf("stop: %d %q, want a failure naming leftovers outside the group", r.code, r.output)
	}
	if !alive(child) {
		t.Fatalf("stop killed %d outside the daemon's group", child)
	}
	if r := run(t, nil, dctl, "status", "--pidfile", p); r.code != 1 {
		t.Fatalf("status: %d %q, want 1", r.code, r.output)
	}
}

// A --keepalive worker that ignores SIGTERM, and its children (which
// inherit the ignored disposition): stop must end the whole tree before it
// reports success. The angel ends the worker and its process group after
// its own stop timeout (supervise.DefaultStopTimeout), within stop's
// default one. (A stop --timeout shorter than the angel's kills the angel
// first; ending the worker's children then is up to stop.)
func TestKeepaliveStopEndsTermIgnoringWorkerTree(t *testing.T) {
	// stop's default timeout (10 s) is longer than the angel's (8 s): the
	// angel ends the tree itself. With 300 ms, stop escalates first and
	// must end the tree below the angel before it kills the angel.
	for _, timeout := range []string{"", "300ms"} {
		t.Run("timeout="+timeout, func(t *testing.T) { keepaliveStopEndsTree(t, timeout) })
	}
}

func keepaliveStopEndsTree(t *testing.T, timeout string) {
	p := filepath.Join(t.TempDir(), "d.pid")
	stopAtCleanup(t, p)
	ready := filepath.Join(filepath.Dir(p), "ready")
	r := run(t, []string{"READY=" + ready}, dctl, "run", "--daemon", "--keepalive", "--pidfile", p, "--",
		"sh", "-c", `trap "" TERM; sleep 1000 & sleep 1000 & : > "$READY"; wait`)
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.output)
	}
	angel := readPID(t, p)
	waitFor(t, "the worker's children", func() bool { _, err := os.Stat(ready); return err == nil })
	workers := children(angel)
	if len(workers) != 1 {
		t.Fatalf("angel %d has children %v, want one worker", angel, workers)
	}
	tree := append([]int{angel, workers[0]}, children(workers[0])...)
	if len(tree) != 4 {
		t.Fatalf("tree %v, want the angel, the worker and two sleeps", tree)
	}
	for _, q := range tree {
		killAtCleanup(t, q)
	}
	args := []string{"stop", "--pidfile", p}
	if timeout != "" {
		args = append(args, "--timeout", timeout)
	}
	r = run(t, nil, dctl, args...)
	if r.code != 0 {
		t.Fatalf("stop: %d %q", r.code, r.output)
	}
	for _, q := range tree {
		if alive(q) {
			t.Errorf("pid %d (of %v: angel, worker, sleeps) still alive after stop returned 0", q, tree)
		}
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("stop left the pidfile")
	}
}
