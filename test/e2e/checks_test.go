//go:build e2e && linux

package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// unitState is a snapshot of the properties the scenarios look at.
type unitState struct {
	Active, Sub, Result string
	MainPID             int
	NRestarts           int
	ActiveEnter         string // ActiveEnterTimestampMonotonic
	UnitFileState       string
	LoadState           string
	ExecMainCode        string
	ExecMainStatus      string
}

// state reads unitState of unit with one systemctl show.
func (c *container) state(unit string) unitState {
	c.t.Helper()
	props := []string{"ActiveState", "SubState", "Result", "MainPID", "NRestarts", "ActiveEnterTimestampMonotonic",
		"UnitFileState", "LoadState", "ExecMainCode", "ExecMainStatus"}
	out := c.must("systemctl", "show", "-p", strings.Join(props, ","), unit)
	kv := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	pid, _ := strconv.Atoi(kv["MainPID"])
	n, _ := strconv.Atoi(kv["NRestarts"])
	return unitState{
		Active: kv["ActiveState"], Sub: kv["SubState"], Result: kv["Result"], MainPID: pid, NRestarts: n,
		ActiveEnter: kv["ActiveEnterTimestampMonotonic"], UnitFileState: kv["UnitFileState"],
		LoadState: kv["LoadState"], ExecMainCode: kv["ExecMainCode"], ExecMainStatus: kv["ExecMainStatus"],
	}
}

// waitUnit polls unit until ok accepts its state or a minute passes (a
// deadline for a loaded CI machine, not a timing assertion), and fails the
// test with the last state and the unit's journal then.
func (c *container) waitUnit(unit, what string, ok func(unitState) bool) unitState {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := c.state(unit)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			j := c.exec("journalctl", "-u", unit, "--no-pager", "-n", "40")
			c.t.Fatalf("%s: not %s after a minute: %+v\njournal:\n%s", unit, what, st, j.stdout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitActive waits until unit is active and running with a main PID.
func (c *container) waitActive(unit string) unitState {
	c.t.Helper()
	return c.waitUnit(unit, "active (running)", func(s unitState) bool {
		return s.Active == "active" && s.Sub == "running" && s.MainPID > 0
	})
}

// echo sends a unique line to addr (host:port) inside the container with
// netcat and fails the test unless the same line comes back.
func (c *container) echo(addr string) {
	c.t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	line := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	r := c.sh(fmt.Sprintf("printf '%%s\\n' %s | nc -N -w 5 %s %s", line, host, port))
	if r.err != nil {
		c.t.Fatalf("echo %s: %v", addr, r)
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.TrimRight(l, "\r") == line {
			return
		}
	}
	c.t.Fatalf("echo %s: sent %q, got %q", addr, line, r.stdout)
}

// procArgv returns /proc/PID/cmdline of a process in the container.
func (c *container) procArgv(pid int) []string {
	c.t.Helper()
	out := c.must("cat", fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
}

// checkArgv fails the test unless the process runs exactly s.Exec with
// s.Args, byte for byte: systemctl show -p ExecStart does not quote, so
// the program's own argv is the only faithful record.
func (c *container) checkArgv(pid int, s *spec.Spec) {
	c.t.Helper()
	want := append([]string{s.Exec}, s.Args...)
	if got := c.procArgv(pid); !slices.Equal(got, want) {
		c.t.Fatalf("argv of PID %d = %q, want %q", pid, got, want)
	}
}

// pids returns the container PIDs of processes whose command name is comm.
func (c *container) pids(comm string) []int {
	c.t.Helper()
	r := c.exec("pgrep", "-x", comm)
	if r.code > 1 {
		c.t.Fatalf("pgrep: %v", r)
	}
	var pids []int
	for _, f := range strings.Fields(r.stdout) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// waitNoProcess waits up to 30 seconds for every process named comm to go.
func (c *container) waitNoProcess(comm string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := c.pids(comm)
		if len(p) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s still running: PIDs %v", comm, p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)`)

// exposure returns systemd-analyze security's overall exposure score of an
// installed unit, as systemd in the container computes it.
func (c *container) exposure(unit string) float64 {
	c.t.Helper()
	r := c.exec("systemd-analyze", "security", "--no-pager", unit)
	m := exposureRE.FindStringSubmatch(r.stdout)
	if m == nil {
		c.t.Fatalf("systemd-analyze security %s: no score: %v", unit, r)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		c.t.Fatalf("systemd-analyze security %s: %v", unit, err)
	}
	return f
}

// journalHas reports whether the unit's journal contains text.
func (c *container) journalHas(unit, text string) bool {
	c.t.Helper()
	return strings.Contains(c.must("journalctl", "-u", unit, "--no-pager", "-o", "cat"), text)
}

// wantLinks lists the enablement symlinks of unit under /etc/systemd/system.
func (c *container) wantLinks(unit string) []string {
	c.t.Helper()
	out := c.exec("find", "/etc/systemd/system", "-name", unit, "-type", "l").stdout
	return strings.Fields(out)
}

// rcLinks lists the /etc/rc?.d links of an init script.
func (c *container) rcLinks(name string) []string {
	c.t.Helper()
	out := c.sh(fmt.Sprintf("ls -1d /etc/rc?.d/[SK][0-9][0-9]%s 2>/dev/null", name)).stdout
	return strings.Fields(out)
}

// checkArgvContains fails the test unless the process runs s.Exec with
// s.Args appearing verbatim and in order somewhere in its argv: an init
// script may add its own flags (--daemon, --pidfile) around them.
func (c *container) checkArgvContains(pid int, s *spec.Spec) {
	c.t.Helper()
	got := c.procArgv(pid)
	if len(got) == 0 || got[0] != s.Exec {
		c.t.Fatalf("argv of PID %d = %q, want %s first", pid, got, s.Exec)
	}
	if len(s.Args) == 0 {
		return
	}
	for i := 1; i+len(s.Args) <= len(got); i++ {
		if slices.Equal(got[i:i+len(s.Args)], s.Args) {
			return
		}
	}
	c.t.Fatalf("argv of PID %d = %q, does not contain the spec's args %q", pid, got, s.Args)
}

// waitJournal polls the journal entries matching match (a journalctl field
// match such as _PID=42) for up to five seconds until one contains text.
func (c *container) waitJournal(match, text string) bool {
	c.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := c.exec("journalctl", "--no-pager", "-o", "cat", match).stdout
		if strings.Contains(out, text) {
			return true
		}
		if time.Now().After(deadline) {
			c.t.Logf("journal for %s:\n%s", match, tail(out, 20))
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// environ returns the environment of a process in the container.
func (c *container) environ(pid int) map[string]string {
	c.t.Helper()
	out := c.must("cat", fmt.Sprintf("/proc/%d/environ", pid))
	env := map[string]string{}
	for _, kv := range strings.Split(out, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// checkEnviron fails the test unless the process has every variable of the
// spec's environment (or the value given in override, which stands for the
// environment file) and every extra one.
// overrideEnvironment appends to the service's environment file a new
// variable and a new value for every spec variable, and returns what the
// service must see once restarted: the environment file wins over the spec.
func (c *container) overrideEnvironment(s *spec.Spec) map[string]string {
	override := map[string]string{"E2E_FROM_ENVFILE": "yes"}
	for _, v := range s.Environment {
		override[v.Name] = "from the environment file"
	}
	for k, v := range override {
		c.mustSh(fmt.Sprintf("echo '%s=\"%s\"' >> %s", k, v, s.EnvironmentFile))
	}
	return override
}

func (c *container) checkEnviron(pid int, s *spec.Spec, override map[string]string) {
	c.t.Helper()
	env := c.environ(pid)
	want := map[string]string{}
	for _, v := range s.Environment {
		want[v.Name] = v.Value
	}
	for k, v := range override {
		want[k] = v
	}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			c.t.Errorf("PID %d: %s=%q (set: %v), want %q", pid, k, got, ok, v)
		}
	}
}

// checkUser fails the test unless the process runs as user (uid and gid of
// the account in the container); an empty user means root.
func (c *container) checkUser(pid int, user string) {
	c.t.Helper()
	if user == "" {
		user = "root"
	}
	uid := strings.TrimSpace(c.must("id", "-u", user))
	gid := strings.TrimSpace(c.must("id", "-g", user))
	status := c.must("cat", fmt.Sprintf("/proc/%d/status", pid))
	for _, want := range []string{"\nUid:\t" + uid + "\t", "\nGid:\t" + gid + "\t"} {
		if !strings.Contains(status, want) {
			c.t.Fatalf("PID %d does not run as %s (uid %s gid %s):\n%s", pid, user, uid, gid, status)
		}
	}
}
