package spec

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDurationBounds: every duration key is bounded by MaxDuration, so that
// no generator can overflow while converting it (the near-maximal Go
// duration used to give a negative STOP_TIMEOUT and an empty TimeoutStopSec=).
func TestDurationBounds(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"stop_timeout max Go duration", minimal + "stop_timeout: 2562047h47m16.854775807s\n",
			"daemon.yaml:3: stop_timeout: must be at most 8760h (one year)"},
		{"stop_timeout above one year", minimal + "stop_timeout: 8761h\n",
			"daemon.yaml:3: stop_timeout: must be at most 8760h (one year)"},
		{"stop_timeout beyond Go", minimal + "stop_timeout: 99999999999h\n",
			"daemon.yaml:3: stop_timeout: must be at most 8760h (one year)"},
		{"restart_sec", minimal + "restart_sec: 2562047h\n",
			"daemon.yaml:3: restart_sec: must be at most 8760h (one year)"},
		{"watchdog_sec", minimal + "type: notify\nwatchdog_sec: 9000h\n",
			"daemon.yaml:4: watchdog_sec: must be at most 8760h (one year)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(t, c.yaml)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
		})
	}
	s, err := build(t, minimal+"type: notify\nstop_timeout: 8760h\nrestart_sec: 8760h\nwatchdog_sec: 8760h\n")
	if err != nil {
		t.Fatalf("MaxDuration itself is refused: %v", err)
	}
	if s.StopTimeout != MaxDuration || s.RestartDelay != MaxDuration || s.WatchdogTimeout != MaxDuration {
		t.Errorf("durations %v %v %v, want %v", s.StopTimeout, s.RestartDelay, s.WatchdogTimeout, MaxDuration)
	}
	if MaxDuration != 365*24*time.Hour {
		t.Errorf("MaxDuration %v changed: update the docs and this test", MaxDuration)
	}
}

// TestLimitRanges: each limit is checked against what the kernel, systemd
// and the init script's shell accept.
func TestLimitRanges(t *testing.T) {
	bad := []struct{ limit, value, want string }{
		{"nofile", "99999999999999999999", "must be at most 2147483584"},
		{"nofile", "2147483585", "must be at most 2147483584"},
		{"nofile", "infinity", "cannot be infinity"},
		{"nofile", "1024:infinity", "cannot be infinity"},
		{"nice", "100", "must be from 0 to 40"},
		{"nice", "41", "must be from 0 to 40"},
		{"nice", "infinity", "cannot be infinity"},
		{"rtprio", "100", "must be from 0 to 99"},
		{"core", "18446744073709551615", "must be at most 9223372036854775807"},
		{"memlock", "0:18446744073709551616", "must be at most 9223372036854775807"},
		{"nproc", "9223372036854775808", "must be at most 9223372036854775807"},
		{"cpu", "18446744073709", "must be at most 9223372036854"},
		{"rttime", "9223372036854775808", "must be at most 9223372036854775807"},
	}
	for _, c := range bad {
		t.Run(c.limit+"="+c.value, func(t *testing.T) {
			_, err := build(t, minimal+"limits:\n  "+c.limit+": \""+c.value+"\"\n")
			want := "daemon.yaml:4: limits." + c.limit + ": "
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q ... %q", err, want, c.want)
			}
		})
	}
	good := map[string]string{
		"nofile": "1024:2147483584", "nice": "0:40", "rtprio": "infinity", "core": "infinity",
		"memlock": "0:9223372036854775807", "nproc": "512", "cpu": "9223372036854",
		"rttime": "9223372036854775807", "stack": "8388608:infinity", "as": "infinity",
	}
	var yaml strings.Builder
	yaml.WriteString(minimal + "limits:\n")
	for k, v := range good {
		yaml.WriteString("  " + k + ": \"" + v + "\"\n")
	}
	if _, err := build(t, yaml.String()); err != nil {
		t.Errorf("valid limits refused: %v", err)
	}
}

// TestPIDFileLocation: a pidfile in a world-writable or shared system
// directory is refused; only the service's own directory under /run
// becomes its RuntimeDirectory.
func TestPIDFileLocation(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"tmp", minimal + "pidfile: /tmp/app/app.pid\n", "daemon.yaml:3: pidfile: \"/tmp/app/app.pid\" is in /tmp, which other users can write"},
		{"var tmp", minimal + "pidfile: /var/tmp/app.pid\n", "daemon.yaml:3: pidfile: \"/var/tmp/app.pid\" is in /var/tmp, which other users can write"},
		{"dev shm", minimal + "pidfile: /dev/shm/app.pid\n", "is in /dev/shm, which other users can write"},
		{"dev", minimal + "pidfile: /dev/app.pid\n", "is in /dev, which belongs to the system"},
		{"run lock", minimal + "pidfile: /run/lock/app.pid\n", "is in /run/lock, which other users can write"},
		{"var lock", minimal + "pidfile: /var/lock/app/app.pid\n", "is in /run/lock, which other users can write"},
		{"var run lock", minimal + "pidfile: /var/run/lock/app.pid\n", "is in /run/lock, which other users can write"},
		{"run user", minimal + "pidfile: /run/user/1000/app.pid\n", "is in /run/user, which other users can write"},
		{"run shm", minimal + "pidfile: /run/shm/app.pid\n", "is in /run/shm, which other users can write"},
		{"run systemd", minimal + "pidfile: /run/systemd/app.pid\n", "is in /run/systemd, which belongs to the system"},
		{"run systemd sub", minimal + "pidfile: /run/systemd/app/app.pid\n", "is in /run/systemd, which belongs to the system"},
		{"proc", minimal + "pidfile: /proc/app.pid\n", "is in /proc, which belongs to the system"},
		{"name lock", "name: lock\nexec: /x\n", "daemon.yaml:1: name: \"lock\" puts the default pidfile in /run/lock, which other users can write"},
		{"name systemd", "name: systemd\nexec: /x\n", "daemon.yaml:1: name: \"systemd\" puts the default pidfile in /run/systemd, which belongs to the system"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(t, c.yaml)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
		})
	}
	for _, c := range []struct{ pidfile, want string }{
		{"", "/run/app"},
		{"/run/app/app.pid", "/run/app"},
		{"/var/run/app/app.pid", "/run/app"},
		{"/run/app/sub/app.pid", "/run/app/sub"},
		{"/run/app.pid", ""},
		{"/var/run/app.pid", ""},
		{"/run/other/app.pid", ""},
		{"/run/app-2/app.pid", ""},
		{"/var/lib/app/app.pid", ""},
	} {
		yaml := minimal
		if c.pidfile != "" {
			yaml += "pidfile: " + c.pidfile + "\n"
		}
		s, err := build(t, yaml)
		if err != nil {
			t.Errorf("pidfile %q: %v", c.pidfile, err)
			continue
		}
		if got := s.RuntimeDirectory(); got != c.want {
			t.Errorf("pidfile %q: RuntimeDirectory() = %q, want %q", c.pidfile, got, c.want)
		}
	}
	// A Spec built by hand is judged by the same rule: a shared directory
	// is never the service's own, even when it bears the service's name.
	for _, p := range []string{"/run/lock/lock.pid", "/run/user/0/x.pid", "/run/systemd/systemd.pid", "/tmp/x/x.pid", "/run/x.pid"} {
		name := strings.TrimSuffix(p[strings.LastIndexByte(p, '/')+1:], ".pid")
		s := &Spec{Name: name, PIDFile: p}
		if got := s.RuntimeDirectory(); got != "" {
			t.Errorf("hand-built spec with pidfile %s: RuntimeDirectory() = %q, want none", p, got)
		}
	}
}

// TestGroupWithoutUser: a group given without a user is kept (the init
// script and the unit both run the program with that group).
func TestGroupWithoutUser(t *testing.T) {
	s, err := build(t, minimal+"group: daemon\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.User != "" || s.Group != "daemon" {
		t.Errorf("user %q group %q, want root and daemon", s.User, s.Group)
	}
}

// TestErrorsEscapeControlBytes: a spec cannot forge error lines or send
// terminal escapes through its keys, values or file name.
func TestErrorsEscapeControlBytes(t *testing.T) {
	const file = "dir\x1b[31m/daemon\n.yaml"
	_, parseErr := Parse(file, []byte(minimal+"\"\\e[2J\\nfake.yaml:1: name: forged\": 1\n")) // unknown key
	cfg, err := Parse(file, []byte(minimal+
		"environment:\n  \"A\\rB\\u202e\": x\n"+ // bad variable name
		"limits:\n  \"n\\x07\": 1\n"+ // unknown limit
		"pidfile: \"/run/a\\x1b]0;title\\x07/a.pid\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, buildErr := cfg.Build()
	for _, c := range []struct {
		err  error
		want []string
	}{
		{parseErr, []string{`\x1b[2J\nfake.yaml:1: name: forged: unknown key`}},
		{buildErr, []string{`environment.A\rB\u202e:`, `limits.n\a:`, `pidfile: must not contain control characters`}},
	} {
		var errs Errors
		if !errors.As(c.err, &errs) {
			t.Fatalf("%T: %v", c.err, c.err)
		}
		if n := len(strings.Split(c.err.Error(), "\n")); n != len(errs) {
			t.Errorf("%d errors but %d lines:\n%s", len(errs), n, c.err)
		}
		for _, e := range errs {
			msg := e.Error()
			if strings.ContainsFunc(msg, func(r rune) bool { return !isPrintableRune(r) }) {
				t.Errorf("control character in %q", msg)
			}
			if !strings.HasPrefix(msg, `dir\x1b[31m/daemon\n.yaml:`) {
				t.Errorf("file name not escaped: %q", msg)
			}
		}
		for _, want := range c.want {
			if !strings.Contains(c.err.Error(), want) {
				t.Errorf("no %q in\n%s", want, c.err)
			}
		}
	}
}

// isPrintableRune is the test's own notion of text safe for a terminal.
func isPrintableRune(r rune) bool {
	return r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) && r != 0x202e && r != 0x2028 && r != 0x2029 && r != '\uFFFD'
}
