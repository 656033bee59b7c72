package main

import (
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// supPeer is a supervisor that keeps one worker alive.
type supPeer struct {
	name string
	// argv returns the command that starts the supervisor in the foreground
	// (or that daemonizes it) for worker prog; it may write config files.
	argv func(id string, prog []string) ([]string, error)
	// maxRestarts is how many restarts one instance allows before a hidden
	// delay kicks in (0: no such limit); the harness starts a fresh instance
	// then, untimed.
	maxRestarts int
}

func (e *env) supPeers() []supPeer {
	dc := e.bin["daemonctl"]
	ps := []supPeer{{
		name: "daemonctl run --keepalive",
		argv: func(_ string, prog []string) ([]string, error) {
			return append([]string{dc, "run", "--keepalive", "--backoff", "0", "--start-limit-burst", "-1", "--"}, prog...), nil
		},
	}}
	if e.have(runsvPath) {
		ps = append(ps, supPeer{name: "runsv", argv: func(id string, prog []string) ([]string, error) {
			sv := filepath.Join(e.dir, "sv-"+id)
			_ = os.RemoveAll(sv)
			if err := os.MkdirAll(sv, 0o755); err != nil {
				return nil, err
			}
			run := filepath.Join(sv, "run")
			if len(prog) == 1 {
				if err := os.Symlink(prog[0], run); err != nil {
					return nil, err
				}
			} else if err := os.WriteFile(run, []byte("#!/bin/sh\nexec "+strings.Join(prog, " ")+"\n"), 0o755); err != nil {
				return nil, err
			}
			return []string{runsvPath, sv}, nil
		}})
	}
	if e.have(daemonPath) {
		ps = append(ps, supPeer{name: "daemon(1) --respawn", maxRestarts: 90, argv: func(id string, prog []string) ([]string, error) {
			// The smallest settings daemon(1) accepts; after --attempts quick
			// deaths it waits --delay (at least 10 s).
			return append([]string{daemonPath, "--respawn", "--name=bsv" + id, "--pidfiles=" + e.dir,
				"--acceptable=10", "--attempts=100", "--delay=10", "--"}, prog...), nil
		}})
	}
	if e.have(supervisordPath) {
		ps = append(ps, supPeer{name: "supervisord", argv: func(id string, prog []string) ([]string, error) {
			conf := filepath.Join(e.dir, "supervisord-"+id+".conf")
			text := fmt.Sprintf(`[supervisord]
nodaemon=true
user=root
logfile=%[1]s/supervisord-%[2]s.log
pidfile=%[1]s/supervisord-%[2]s.pid
childlogdir=%[1]s

[program:worker]
command=%[3]s
startsecs=0
startretries=1000000
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
`, e.dir, id, strings.Join(prog, " "))
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				return nil, err
			}
			return []string{supervisordPath, "-n", "-c", conf}, nil
		}})
	}
	ps = append(ps, supPeer{name: "bare Go wait4 loop", argv: func(_ string, prog []string) ([]string, error) {
		return append([]string{e.bin["waitloop"]}, prog...), nil
	}})
	return ps
}

// medianOf returns the median of the named peer's sample, 0 if absent.
func medianOf(peers []supPeer, s []sample, name string) float64 {
	for j, p := range peers {
		if p.name == name {
			return s[j].median()
		}
	}
	return 0
}

// supInst is one running supervisor and its current worker.
type supInst struct {
	angel    int
	worker   int
	workerTS int64
}

// startSup starts a supervisor and waits for its worker's exec; the angel
// is the worker's parent.
func (e *env) startSup(p supPeer, id string, prog []string, match func(execEvent) bool) (supInst, error) {
	argv, err := p.argv(id, prog)
	if err != nil {
		return supInst{}, err
	}
	ch := e.mon.expectExec(mono(), match)
	defer e.mon.cancelExec(ch)
	if _, err := e.r.spawn(argv); err != nil {
		return supInst{}, err
	}
	ev, err := waitExec(ch, p.name+": worker", 20*time.Second)
	if err != nil {
		return supInst{}, err
	}
	st, err := readStat(ev.pid)
	if err != nil {
		return supInst{}, fmt.Errorf("%s: worker: %w", p.name, err)
	}
	return supInst{angel: st.ppid, worker: ev.pid, workerTS: ev.ts}, nil
}

// stopSup kills a supervisor, then its worker, and reaps both.
func (e *env) stopSup(in supInst) error {
	_ = unix.Kill(in.angel, unix.SIGKILL)
	if _, err := e.r.wait(in.angel, 10*time.Second); err != nil {
		return err
	}
	_ = unix.Kill(in.worker, unix.SIGKILL)
	_, err := e.r.wait(in.worker, 10*time.Second)
	return err
}

func (e *env) benchRSS() error {
	peers := e.supPeers()
	rss := make([]sample, len(peers))
	anon := make([]sample, len(peers))
	failed := make([]error, len(peers))
	for round := range e.cfg.rssRounds {
		insts := make([]supInst, len(peers))
		for j, p := range peers {
			if failed[j] != nil {
				continue
			}
			tok := token(j, round)
			insts[j], failed[j] = e.startSup(p, fmt.Sprintf("rss%d", j), []string{sleepPath, tok}, isSleep(tok))
		}
		time.Sleep(time.Second) // let start-up allocations settle
		for j, in := range insts {
			if failed[j] != nil {
				continue
			}
			kb, err := statusField(in.angel, "VmRSS")
			if err != nil {
				failed[j] = err
				continue
			}
			akb, err := statusField(in.angel, "RssAnon")
			if err != nil {
				failed[j] = err
				continue
			}
			rss[j] = append(rss[j], float64(kb))
			anon[j] = append(anon[j], float64(akb))
		}
		if err := e.r.killAll(); err != nil {
			return err
		}
	}
	fmt.Fprintf(&e.md, "\n### 3. Resident memory of the supervisor with one idle child (`sleep 1000`)\n\n")
	fmt.Fprintf(&e.md, "VmRSS of the process that is the worker's parent, 1 s after start (RssAnon: its private memory; the rest is file pages such as code and libraries); ratio to runsv.\n\n")
	fmt.Fprintf(&e.md, "| supervisor | VmRSS (median) | max | RssAnon (median) | ratio |\n|---|---|---|---|---|\n")
	runsv, dc := medianOf(peers, rss, "runsv"), medianOf(peers, rss, "daemonctl run --keepalive")
	for j, p := range peers {
		if failed[j] != nil {
			fmt.Fprintf(&e.md, "| %s | – | – | – | failed: %v |\n", p.name, failed[j])
			e.fail("rss "+p.name, failed[j])
			continue
		}
		fmt.Fprintf(&e.md, "| %s | %s | %s | %s | %s |\n", p.name, mb(rss[j].median()), mb(rss[j].quantile(1)), mb(anon[j].median()), ratio(rss[j].median(), runsv))
	}
	fmt.Fprintf(&e.md, "\nBar: daemonctl's angel ≤ 2.5 MB: %s — %s.\n", mb(dc), bar(dc > 0 && dc <= 2.5*1024))
	return nil
}

func (e *env) benchRestart() error {
	peers := e.supPeers()
	insts := make([]supInst, len(peers))
	workers := make([]string, len(peers))
	idleBin, err := os.ReadFile(e.bin["idle"])
	if err != nil {
		return err
	}
	start := func(j int) error {
		in, err := e.startSup(peers[j], fmt.Sprintf("rst%d", j), []string{workers[j]}, func(ev execEvent) bool { return ev.exe == workers[j] })
		insts[j] = in
		return err
	}
	lat := make([]sample, len(peers))
	restarts := make([]int, len(peers))
	failed := make([]error, len(peers))
	for j := range peers {
		// One copy of the worker per supervisor: its path tells the execs apart.
		workers[j] = filepath.Join(e.dir, fmt.Sprintf("worker-%d", j))
		if err := os.WriteFile(workers[j], idleBin, 0o755); err != nil {
			return err
		}
		failed[j] = start(j)
	}
	for i := range e.cfg.restarts {
		for k := range peers {
			j := (i + k) % len(peers)
			if failed[j] != nil {
				continue
			}
			p := peers[j]
			if p.maxRestarts > 0 && restarts[j] > 0 && restarts[j]%p.maxRestarts == 0 {
				if err := e.stopSup(insts[j]); err != nil {
					return err
				}
				if failed[j] = start(j); failed[j] != nil {
					continue
				}
			}
			if age := time.Duration(mono() - insts[j].workerTS); age < e.cfg.minAge {
				time.Sleep(e.cfg.minAge - age)
			}
			old := insts[j].worker
			ch := e.mon.expectExec(mono(), func(ev execEvent) bool { return ev.exe == workers[j] && ev.pid != old })
			t0 := mono()
			if err := unix.Kill(old, unix.SIGKILL); err != nil {
				e.mon.cancelExec(ch)
				failed[j] = fmt.Errorf("kill worker %d: %w", old, err)
				continue
			}
			ev, err := waitExec(ch, p.name+": restarted worker", 20*time.Second)
			e.mon.cancelExec(ch)
			if err != nil {
				failed[j] = err
				continue
			}
			lat[j] = append(lat[j], float64(ev.ts-t0))
			insts[j].worker, insts[j].workerTS = ev.pid, ev.ts
			restarts[j]++
		}
	}
	bare, dc := medianOf(peers, lat, "bare Go wait4 loop"), medianOf(peers, lat, "daemonctl run --keepalive")
	fmt.Fprintf(&e.md, "\n### 4. Restart latency: `kill -9` of the worker → the new worker's exec\n\n")
	fmt.Fprintf(&e.md, "From just before kill(2) to the kernel's exec event of the replacement; each worker had lived at least %v (runsv delays the restart of a worker that lived less than 1 s). daemonctl runs with `--backoff 0 --start-limit-burst -1`; daemon(1) gets a fresh instance every %d restarts (after --attempts quick deaths it waits --delay, at least 10 s). Ratio to the bare Go wait4 loop.\n\n", e.cfg.minAge, 90)
	fmt.Fprintf(&e.md, "| supervisor | median | p90 | max | ratio | restarts |\n|---|---|---|---|---|---|\n")
	for j, p := range peers {
		if failed[j] != nil && len(lat[j]) == 0 {
			fmt.Fprintf(&e.md, "| %s | – | – | – | – | failed: %v |\n", p.name, failed[j])
			e.fail("restart "+p.name, failed[j])
			continue
		}
		note := ""
		if failed[j] != nil {
			note = fmt.Sprintf(" (then failed: %v)", failed[j])
			e.fail("restart "+p.name, failed[j])
		}
		fmt.Fprintf(&e.md, "| %s | %s | %s | %s | %s | %d%s |\n", p.name, ms(lat[j].median()), ms(lat[j].p90()), ms(lat[j].quantile(1)), ratio(lat[j].median(), bare), len(lat[j]), note)
	}
	fmt.Fprintf(&e.md, "\nBar: daemonctl ≤ 4 ms median: %s — %s.\n", ms(dc), bar(dc > 0 && dc <= 4e6))
	return nil
}

// idleProc is one process watched during the idle window.
type idleProc struct {
	name string
	pid  int
}

type idleSnap struct {
	ticks, vol, invol int64
	threads           int
}

func snap(pid int) (idleSnap, error) {
	st, err := readStat(pid)
	if err != nil {
		return idleSnap{}, err
	}
	vol, invol, threads, err := ctxSwitches(pid)
	return idleSnap{ticks: st.utime + st.stime, vol: vol, invol: invol, threads: threads}, err
}

func (e *env) benchIdle() error {
	var procs []idleProc
	for j, p := range e.supPeers() {
		tok := token(j, 999999)
		in, err := e.startSup(p, fmt.Sprintf("idle%d", j), []string{sleepPath, tok}, isSleep(tok))
		if err != nil {
			e.fail("idle "+p.name, err)
			continue
		}
		procs = append(procs, idleProc{p.name + " (angel)", in.angel})
	}
	if echod := e.bin["echod"]; echod != "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := l.Addr().String()
		l.Close()
		pid, err := e.r.spawn([]string{echod, "--listen", addr})
		if err != nil {
			return err
		}
		if err := waitDial(addr, 10*time.Second); err != nil {
			return fmt.Errorf("echod: %w", err)
		}
		procs = append(procs, idleProc{"echod (foreground, idle)", pid})
	}
	settle := 2 * time.Second
	if e.cfg.smoke {
		settle = time.Second
	}
	time.Sleep(settle)
	before := make([]idleSnap, len(procs))
	for i, p := range procs {
		s, err := snap(p.pid)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		before[i] = s
	}
	time.Sleep(e.cfg.idle)
	limit := max(2, int64(math.Ceil(2*e.cfg.idle.Seconds()/60)))
	fmt.Fprintf(&e.md, "\n### 5. Idle cost over %v\n\n", e.cfg.idle)
	fmt.Fprintf(&e.md, "CPU clock ticks (utime+stime, 1 tick = 10 ms) and context switches summed over all threads, from /proc, measured %v after start. Bar for daemonctl's angel and echod: 0 ticks and at most %d wake-ups (the Go runtime's own, about 2 per 60 s).\n\n", settle, limit)
	fmt.Fprintf(&e.md, "| process | CPU ticks | voluntary switches | involuntary | threads | bar |\n|---|---|---|---|---|---|\n")
	for i, p := range procs {
		s, err := snap(p.pid)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		d := idleSnap{ticks: s.ticks - before[i].ticks, vol: s.vol - before[i].vol, invol: s.invol - before[i].invol, threads: s.threads}
		b := "–"
		if strings.HasPrefix(p.name, "daemonctl") || strings.HasPrefix(p.name, "echod") {
			b = bar(d.ticks == 0 && d.vol+d.invol <= limit)
		}
		fmt.Fprintf(&e.md, "| %s | %d | %d | %d | %d | %s |\n", p.name, d.ticks, d.vol, d.invol, d.threads, b)
	}
	return nil
}

func waitDial(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
