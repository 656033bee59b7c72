package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// launchPeer starts `sleep TOKEN` as a daemon with a pidfile.
type launchPeer struct {
	name     string
	argv     func(pidfile, tok string) []string
	pidfile  string
	holdsPID bool // the pidfile holds sleep's pid (daemon(1)'s holds its own)
	leader   bool // started as a process-group leader, as a shell's job
	stop     func(pidfile string) []string
}

func (e *env) launchPeers() []launchPeer {
	dc := e.bin["daemonctl"]
	ps := []launchPeer{{
		name: "daemonctl run --daemon",
		argv: func(p, tok string) []string {
			return []string{dc, "run", "--daemon", "--pidfile", p, "--", sleepPath, tok}
		},
		pidfile: filepath.Join(e.dir, "dc.pid"), holdsPID: true,
		stop: func(p string) []string { return []string{dc, "stop", "--pidfile", p} },
	}, {
		name: "daemonctl run --daemon, as a shell's job (group leader)",
		argv: func(p, tok string) []string {
			return []string{dc, "run", "--daemon", "--pidfile", p, "--", sleepPath, tok}
		},
		pidfile: filepath.Join(e.dir, "dcjob.pid"), holdsPID: true, leader: true,
	}}
	if e.have(ssdPath) {
		ps = append(ps, launchPeer{
			name: "start-stop-daemon",
			argv: func(p, tok string) []string {
				return []string{ssdPath, "--start", "--background", "--make-pidfile", "--pidfile", p, "--exec", sleepPath, "--", tok}
			},
			pidfile: filepath.Join(e.dir, "ssd.pid"), holdsPID: true,
			stop: func(p string) []string {
				return []string{ssdPath, "--stop", "--retry", "TERM/5", "--pidfile", p}
			},
		})
	}
	if e.have(daemonPath) {
		ps = append(ps, launchPeer{
			name: "daemon(1)",
			argv: func(_, tok string) []string {
				return []string{daemonPath, "--name=bdm", "--pidfiles=" + e.dir, "--", sleepPath, tok}
			},
			pidfile: filepath.Join(e.dir, "bdm.pid"),
			stop: func(string) []string {
				return []string{daemonPath, "--name=bdm", "--pidfiles=" + e.dir, "--stop"}
			},
		})
	}
	ps = append(ps, launchPeer{
		name: "bare Go launcher",
		argv: func(p, tok string) []string {
			return []string{e.bin["launcher"], "-pidfile", p, sleepPath, tok}
		},
		pidfile: filepath.Join(e.dir, "bare.pid"), holdsPID: true,
	})
	return ps
}

// lag formats the largest time by which sleep's exec followed the return.
func lag(ns float64) string {
	if ns <= 0 {
		return ""
	}
	if ns < 1e6 {
		return fmt.Sprintf(" (by ≤ %.0f µs)", ns/1e3)
	}
	return fmt.Sprintf(" (by ≤ %.1f ms)", ns/1e6)
}

// failures formats a count of failed iterations with the last reason.
func failures(n int, last error) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (last: %v)", n, last)
}

// interleave calls fn for every round i and peer j, rotating the order of
// the peers every round, and kills whatever fn left running after each call.
func (e *env) interleave(rounds, peers int, fn func(i, j int)) error {
	for i := range rounds {
		for k := range peers {
			fn(i, (i+k)%peers)
			if err := e.r.killAll(); err != nil {
				return err
			}
		}
	}
	return nil
}

// token makes each sleep's command line unique: "1000.PPIIIIII".
func token(peer, iter int) string { return fmt.Sprintf("1000.%02d%06d", peer+1, iter) }

func isSleep(tok string) func(execEvent) bool {
	return func(ev execEvent) bool {
		return filepath.Base(ev.exe) == "sleep" && len(ev.args) >= 2 && ev.args[1] == tok
	}
}

type startStats struct {
	ret, run, pidf        sample
	runAfterRet, noPidRet int
	maxLag                float64 // largest (sleep's exec − return) when positive
	fails                 int
	lastErr               error
}

func (e *env) benchStart() error {
	peers := e.launchPeers()
	st := make([]startStats, len(peers))
	err := e.interleave(e.cfg.n, len(peers), func(i, j int) {
		ret, run, pidf, runLate, noPid, err := e.startOnce(peers[j], token(j, i))
		if err != nil {
			st[j].fails++
			st[j].lastErr = err
			return
		}
		st[j].ret = append(st[j].ret, ret)
		st[j].run = append(st[j].run, run)
		if pidf > 0 {
			st[j].pidf = append(st[j].pidf, pidf)
		}
		if runLate {
			st[j].runAfterRet++
			st[j].maxLag = max(st[j].maxLag, run-ret)
		}
		if noPid {
			st[j].noPidRet++
		}
	})
	if err != nil {
		return err
	}
	var ssdRun, dcRet float64
	for j, p := range peers {
		switch p.name {
		case "start-stop-daemon":
			ssdRun = st[j].run.median()
		case "daemonctl run --daemon":
			dcRet = st[j].ret.median()
		}
	}
	fmt.Fprintf(&e.md, "\n### 1. Start a daemon (`sleep 1000` with a pidfile)\n\n")
	fmt.Fprintf(&e.md, "Times from the harness's fork of the command. *returns*: the command's exit; *sleep runs*: sleep's exec; *pidfile*: first write seen by inotify. Ratios are to start-stop-daemon's *sleep runs* median.\n\n")
	fmt.Fprintf(&e.md, "| tool | returns (median) | p90 | sleep runs (median) | p90 | pidfile written (median) | ratio (returns) | ratio (sleep runs) | sleep not yet running at return | pidfile missing at return | failed |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for j, p := range peers {
		s := st[j]
		if len(s.ret) == 0 {
			fmt.Fprintf(&e.md, "| %s | – | – | – | – | – | – | – | – | – | %d (%v) |\n", p.name, s.fails, s.lastErr)
			e.fail("start "+p.name, fmt.Errorf("no iteration succeeded: %w", s.lastErr))
			continue
		}
		fmt.Fprintf(&e.md, "| %s | %s | %s | %s | %s | %s | %s | %s | %d/%d%s | %d/%d | %s |\n", p.name,
			ms(s.ret.median()), ms(s.ret.p90()), ms(s.run.median()), ms(s.run.p90()), ms(s.pidf.median()),
			ratio(s.ret.median(), ssdRun), ratio(s.run.median(), ssdRun),
			s.runAfterRet, len(s.ret), lag(s.maxLag), s.noPidRet, len(s.ret), failures(s.fails, s.lastErr))
	}
	if ssdRun > 0 && dcRet > 0 {
		fmt.Fprintf(&e.md, "\nBar: daemonctl returns (pidfile written, sleep running) within 1.5× of start-stop-daemon's time until sleep runs: %s / %s = %s — %s.\n",
			ms(dcRet), ms(ssdRun), ratio(dcRet, ssdRun), bar(dcRet <= 1.5*ssdRun))
	}
	return nil
}

// startOnce launches one daemon and measures it.
func (e *env) startOnce(p launchPeer, tok string) (ret, run, pidf float64, runLate, noPid bool, err error) {
	base := filepath.Base(p.pidfile)
	_ = os.Remove(p.pidfile)
	e.watch.reset(base)
	t0 := mono()
	execCh := e.mon.expectExec(t0, isSleep(tok))
	defer e.mon.cancelExec(execCh)
	var sys *syscall.SysProcAttr
	if p.leader {
		sys = &syscall.SysProcAttr{Setpgid: true} // as a shell with job control starts a job
	}
	pid, err := e.r.spawnWith(p.argv(p.pidfile, tok), sys)
	if err != nil {
		return 0, 0, 0, false, false, err
	}
	tRet, err := waitTS(e.mon.expectExit(pid, t0), p.name, 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, false, err
	}
	data, perr := os.ReadFile(p.pidfile) // as soon as we learn it returned
	noPid = perr != nil || len(strings.TrimSpace(string(data))) == 0
	ws, err := e.r.wait(pid, 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, false, err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, 0, 0, false, false, fmt.Errorf("%s: %s", p.name, describe(ws))
	}
	ev, err := waitExec(execCh, p.name+": sleep", 15*time.Second)
	if err != nil {
		return 0, 0, 0, false, false, err
	}
	if tPid, ok := e.watch.when(base, 5*time.Second); ok {
		pidf = float64(tPid - t0)
	}
	if p.holdsPID {
		data, err := os.ReadFile(p.pidfile)
		if err != nil {
			return 0, 0, 0, false, false, fmt.Errorf("%s: pidfile: %w", p.name, err)
		}
		if got, _ := strconv.Atoi(strings.TrimSpace(string(data))); got != ev.pid {
			return 0, 0, 0, false, false, fmt.Errorf("%s: pidfile holds %q, sleep is pid %d", p.name, data, ev.pid)
		}
	}
	return float64(tRet - t0), float64(ev.ts - t0), pidf, ev.ts > tRet, noPid, nil
}

var errNoPidfile = errors.New("pidfile not written")

// waitPidfile waits until path holds a pid.
func waitPidfile(path string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: %w within %v", path, errNoPidfile, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}
