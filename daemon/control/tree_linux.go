package control

import (
	"context"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxTreeScans bounds killTree's rescans of /proc: each scan that finds a
// new descendant kills it, so a tree that is frozen runs out of new ones at
// once; the bound only guards against a fork bomb racing the scans.
const maxTreeScans = 64

// killTree ends the descendants of a proven daemon before the daemon itself
// is sent SIGKILL, so that nothing it started outlives a stop that had to
// escalate: not the worker of a keepalive angel whose stop timeout is
// longer than stop's, nor the children of a worker that ignores SIGTERM.
//
// It first stops the daemon with SIGSTOP (through its pidfd), so that it
// can neither restart a worker nor fork while its tree is read. Then it
// sends SIGKILL to every process whose parent chain leads to the daemon,
// each pinned with a pidfd and checked again to descend from the daemon
// once pinned (a pid reused since the scan is never signalled), and scans
// again until a scan finds no new process. Orphans of the daemon's
// descendants stay in the tree when the daemon is a child subreaper, as
// the angel is. It returns the pinned descendants for the caller to wait
// on; the daemon itself is left to the caller.
func killTree(daemon *process) []*process {
	_ = daemon.signal(unix.SIGSTOP)
	seen := map[int]bool{}
	var pinned []*process
	for scan := 0; scan < maxTreeScans; scan++ {
		fresh := 0
		for _, pid := range descendants(daemon.pid) {
			if seen[pid] {
				continue
			}
			seen[pid] = true
			fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
			if err != nil {
				continue
			}
			p := &process{pid: pid, fd: os.NewFile(uintptr(fd), "pidfd")}
			if !descendsFrom(pid, daemon.pid) {
				p.close()
				continue
			}
			_ = p.signal(unix.SIGKILL)
			pinned = append(pinned, p)
			fresh++
		}
		if fresh == 0 {
			break
		}
	}
	return pinned
}

// waitTree waits, within ctx, for every process killTree pinned, and
// releases their pidfds. It reports whether all of them exited.
func waitTree(ctx context.Context, tree []*process) bool {
	all := true
	for _, p := range tree {
		if err := p.wait(ctx); err != nil {
			all = false
		}
		p.close()
	}
	return all
}

// descendants lists the live processes whose parent chain leads to root,
// parents before their children, from one read of /proc.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, live := procStat(pid); live {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, children[pid]...)
		queue = append(queue, children[pid]...)
	}
	return out
}

// descendsFrom reports whether root is on pid's parent chain.
func descendsFrom(pid, root int) bool {
	for hops := 0; hops < 4096 && pid > 1; hops++ {
		ppid, _, live := procStat(pid)
		if !live {
			return false
		}
		if ppid == root {
			return true
		}
		pid = ppid
	}
	return false
}
