package main

import (
	"fmt"
	"os"
	"time"
)

type stopStats struct {
	total, ret, gone sample
	alive, fails     int
	lastErr          error
}

func (e *env) benchStop() error {
	var peers []launchPeer
	for _, p := range e.launchPeers() {
		if p.stop != nil {
			peers = append(peers, p)
		}
	}
	st := make([]stopStats, len(peers))
	err := e.interleave(e.cfg.n, len(peers), func(i, j int) {
		total, ret, gone, alive, err := e.stopOnce(peers[j], token(j, i))
		if err != nil {
			st[j].fails++
			st[j].lastErr = err
			return
		}
		st[j].total = append(st[j].total, total)
		st[j].ret = append(st[j].ret, ret)
		st[j].gone = append(st[j].gone, gone)
		if alive {
			st[j].alive++
		}
	})
	if err != nil {
		return err
	}
	var ssd, dc float64
	dcAlive := -1
	for j, p := range peers {
		switch p.name {
		case "start-stop-daemon":
			ssd = st[j].total.median()
		case "daemonctl run --daemon":
			dc, dcAlive = st[j].total.median(), st[j].alive
		}
	}
	fmt.Fprintf(&e.md, "\n### 2. Stop it (SIGTERM; sleep dies at once)\n\n")
	fmt.Fprintf(&e.md, "*done*: both the command returned and sleep is gone (its exit event); ratio to start-stop-daemon's *done* median.\n\n")
	fmt.Fprintf(&e.md, "| tool | done (median) | p90 | returns (median) | sleep gone (median) | ratio | still alive at return | failed |\n|---|---|---|---|---|---|---|---|\n")
	for j, p := range peers {
		s := st[j]
		name := p.name
		if cmd := p.stop(p.pidfile); len(cmd) > 1 {
			name = stopName(p.name)
		}
		if len(s.total) == 0 {
			fmt.Fprintf(&e.md, "| %s | – | – | – | – | – | – | %d (%v) |\n", name, s.fails, s.lastErr)
			e.fail("stop "+name, fmt.Errorf("no iteration succeeded: %w", s.lastErr))
			continue
		}
		fmt.Fprintf(&e.md, "| %s | %s | %s | %s | %s | %s | %d/%d | %s |\n", name,
			ms(s.total.median()), ms(s.total.p90()), ms(s.ret.median()), ms(s.gone.median()),
			ratio(s.total.median(), ssd), s.alive, len(s.total), failures(s.fails, s.lastErr))
	}
	if ssd > 0 && dc > 0 {
		fmt.Fprintf(&e.md, "\nBar: daemonctl stop faster than start-stop-daemon --retry TERM/5 and the process gone at every return: %s vs %s, alive at return %d times — %s.\n",
			ms(dc), ms(ssd), dcAlive, bar(dc < ssd && dcAlive == 0))
	}
	return nil
}

func stopName(start string) string {
	switch start {
	case "daemonctl run --daemon":
		return "daemonctl stop"
	case "start-stop-daemon":
		return "start-stop-daemon --stop --retry TERM/5"
	case "daemon(1)":
		return "daemon(1) --stop"
	}
	return start
}

// stopOnce starts a daemon with the tool (untimed), then times its stop.
func (e *env) stopOnce(p launchPeer, tok string) (total, ret, gone float64, alive bool, err error) {
	_ = os.Remove(p.pidfile)
	execCh := e.mon.expectExec(mono(), isSleep(tok))
	defer e.mon.cancelExec(execCh)
	if _, err := e.r.run(15*time.Second, p.argv(p.pidfile, tok)...); err != nil {
		return 0, 0, 0, false, err
	}
	ev, err := waitExec(execCh, p.name+": sleep", 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, err
	}
	if _, err := waitPidfile(p.pidfile, 5*time.Second); err != nil {
		return 0, 0, 0, false, err
	}
	t0 := mono()
	goneCh := e.mon.expectExit(ev.pid, t0)
	pid, err := e.r.spawn(p.stop(p.pidfile))
	if err != nil {
		return 0, 0, 0, false, err
	}
	tRet, err := waitTS(e.mon.expectExit(pid, t0), stopName(p.name), 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, err
	}
	ws, err := e.r.wait(pid, 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, 0, 0, false, fmt.Errorf("%s: %s", stopName(p.name), describe(ws))
	}
	tGone, err := waitTS(goneCh, stopName(p.name)+": sleep", 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, err
	}
	return float64(max(tRet, tGone) - t0), float64(tRet - t0), float64(tGone - t0), tGone > tRet, nil
}
