package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/control"
)

// reportStop's lines for each kind of result (the real processes behind
// them are exercised in daemon/control and test/runtime).
func TestReportStop(t *testing.T) {
	opts := stopOptions{pidfile: "/run/d.pid", timeout: 2 * time.Second}
	cases := []struct {
		res  control.StopResult
		want string
	}{
		{control.StopResult{PID: 7}, ""},
		{control.StopResult{PID: 7, Killed: true}, "killed pid 7 (SIGKILL after 2s)\n"},
		{control.StopResult{PID: 7, Killed: true, Descendants: 2}, "killed pid 7 and 2 processes below it (SIGKILL after 2s)\n"},
		{control.StopResult{}, "not running\n"},
		{control.StopResult{RemovedStale: true}, "not running; removed stale pidfile /run/d.pid\n"},
		{control.StopResult{PID: 7, Group: 7}, "stopped pid 7 and its process group 7, which still held /run/d.pid\n"},
		{control.StopResult{PID: 7, Group: 7, Killed: true}, "stopped pid 7 and its process group 7, which still held /run/d.pid (SIGKILL after 2s)\n"},
		{control.StopResult{Group: 9}, "pid 9 was gone; stopped its process group 9, which still held /run/d.pid\n"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		reportStop(Stdio{Out: &out, Err: &errOut}, opts, c.res)
		if errOut.String() != c.want || out.Len() != 0 {
			t.Errorf("%+v: stderr %q, stdout %q; want stderr %q", c.res, errOut.String(), out.String(), c.want)
		}
	}
}

// A pidfile path with control bytes cannot forge a line or send a terminal
// escape through stop's report.
func TestReportStopEscapesPidfile(t *testing.T) {
	opts := stopOptions{pidfile: "/run/a\x1b[2J\nforged: line.pid", timeout: time.Second}
	var out, errOut bytes.Buffer
	reportStop(Stdio{Out: &out, Err: &errOut}, opts, control.StopResult{RemovedStale: true})
	want := `not running; removed stale pidfile /run/a\x1b[2J\nforged: line.pid` + "\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}
