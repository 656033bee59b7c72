package packaging

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// systemdEnvFile reads an environment file the way systemd's
// EnvironmentFile= does (systemd.exec(5); env-file parsing): comments
// start with # or ;, values may be single- or double-quoted, in double
// quotes a backslash escapes \ " ` $ (and is kept before anything else),
// a backslash-newline is removed; unquoted trailing white space is dropped.
func systemdEnvFile(text string) map[string]string {
	out := map[string]string{}
	const (
		preKey = iota
		key
		preValue
		value
		valueEsc
		single
		double
		doubleEsc
		comment
	)
	state := preKey
	var k, v strings.Builder
	trail := -1
	push := func() {
		val := v.String()
		if trail >= 0 {
			val = val[:trail]
		}
		out[strings.TrimSpace(k.String())] = val
		k.Reset()
		v.Reset()
		trail = -1
	}
	for _, c := range text {
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case !strings.ContainsRune(" \t\n\r", c):
				state = key
				k.WriteRune(c)
			}
		case key:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				k.Reset()
			case c == '=':
				state = preValue
			default:
				k.WriteRune(c)
			}
		case preValue:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				push()
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '\\':
				state = valueEsc
			case !strings.ContainsRune(" \t", c):
				state = value
				v.WriteRune(c)
			}
		case value:
			switch {
			case c == '\n' || c == '\r':
				state = preKey
				push()
			case c == '\\':
				state = valueEsc
				trail = -1
			default:
				if strings.ContainsRune(" \t", c) {
					if trail < 0 {
						trail = v.Len()
					}
				} else {
					trail = -1
				}
				v.WriteRune(c)
			}
		case valueEsc:
			state = value
			if c != '\n' && c != '\r' {
				v.WriteRune(c)
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteRune(c)
			}
		case double:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEsc
			default:
				v.WriteRune(c)
			}
		case doubleEsc:
			state = double
			switch {
			case strings.ContainsRune("\"\\`$", c):
				v.WriteRune(c)
			case c != '\n':
				v.WriteRune('\\')
				v.WriteRune(c)
			}
		case comment:
			if c == '\n' || c == '\r' {
				state = preKey
			}
		}
	}
	if state != preKey && state != key && state != comment {
		push()
	}
	return out
}

// TestEnvFileArgsFromEnv: every args_from_env variable is an active line
// whose value dash (sourcing the file) and systemd's rules (the parser
// above) both read as the spec's default, whatever the value holds.
func TestEnvFileArgsFromEnv(t *testing.T) {
	b := testBuilder(t)
	args := []spec.EnvVar{
		{Name: "MEMCACHED_OPTS", Value: "-m 64 -p 11211"},
		{Name: "EMPTY", Value: ""},
		{Name: "ODD", Value: `a "b" $HOME ${X} ` + "`id`" + ` \n \\ 'q' # ; x\y  `},
		{Name: "LINES", Value: "first\nsecond\r\nthird\\"},
		{Name: "UNICODE", Value: "é ü –"},
	}
	s := testSpec(t, func(c *spec.Config) {
		c.Environment = []spec.EnvVar{{Name: "GREETING", Value: "hi"}}
	})
	s.ArgsFromEnv = args
	e := environmentFiles(s)
	if len(e) != 1 {
		t.Fatalf("environment files: %+v", e)
	}
	out, err := b.render("pkg-defaults.tmpl", e[0])
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	sd := systemdEnvFile(string(out))
	for _, v := range args {
		if got, ok := sd[v.Name]; !ok || got != v.Value {
			t.Errorf("systemd reads %s as %q (set: %v), want %q", v.Name, got, ok, v.Value)
		}
		cmd := exec.Command("dash", "-c", `set -eu; . "$1"; eval "printf %s \"\${$2}\""`, "sh", file, v.Name)
		got, err := cmd.Output()
		if err != nil || string(got) != v.Value {
			t.Errorf("dash reads %s as %q (%v), want %q", v.Name, got, err, v.Value)
		}
	}
	if _, ok := sd["GREETING"]; ok {
		t.Errorf("the compiled-in default became an active line:\n%s", out)
	}
	// Not UTF-8: systemd would ignore the line, sh would not.
	s.ArgsFromEnv = []spec.EnvVar{{Name: "BAD", Value: "\xff"}}
	if err := environmentFiles(s)[0].check(s); err == nil {
		t.Error("a default that is not UTF-8 was accepted")
	}
}

// TestLogrotate runs the real logrotate on the generated configuration:
// -d parses it, then a forced rotation of a temporary log as "nobody" (su
// and create), whose postrotate reloads the service through a recording
// systemctl only when systemd runs.
func TestLogrotate(t *testing.T) {
	if _, err := exec.LookPath("logrotate"); err != nil {
		t.Skip("logrotate not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("su and create need root")
	}
	b := testBuilder(t)
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logs := filepath.Join(dir, "log")
	root := filepath.Join(dir, "root")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{logs, root + "/run/systemd/system", bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(logs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\necho \"systemctl $*\" >>"+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := testSpec(t, func(c *spec.Config) { c.User = "nobody"; c.Group = "nogroup" })
	s.LogRotate = &spec.LogRotate{Files: []string{logs + "/*.log"}, Method: spec.RotateReload, Frequency: "weekly", Rotate: 3, Compress: true, Mode: 0o640}
	s.Package.Directories = []spec.PackageDir{{Path: logs, Owner: "nobody", Group: "nogroup", Mode: 0o755}}
	d := logrotateFor(s, s, "/etc/init.d/echod")
	d.Root = root
	conf, err := b.render("pkg-logrotate.tmpl", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"su nobody nogroup", "create 0640 nobody nogroup", "missingok", "notifempty", "delaycompress", "rotate 3", "weekly"} {
		if !bytes.Contains(conf, []byte("\n    "+want+"\n")) {
			t.Errorf("logrotate configuration lacks %q:\n%s", want, conf)
		}
	}
	cf := filepath.Join(dir, "echod.conf")
	if err := os.WriteFile(cf, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("logrotate", "-d", "-s", filepath.Join(dir, "state"), cf).CombinedOutput(); err != nil || bytes.Contains(out, []byte("error")) {
		t.Fatalf("logrotate -d: %v\n%s", err, out)
	}
	log := filepath.Join(logs, "echod.log")
	rotate := func() {
		t.Helper()
		if err := os.WriteFile(log, []byte("a line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("logrotate", "-f", "-s", filepath.Join(dir, "state"), cf)
		cmd.Env = []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("logrotate -f: %v\n%s", err, out)
		}
	}
	rotate()
	rotate()
	for name, want := range map[string]bool{"echod.log": true, "echod.log.1": true, "echod.log.2.gz": true} {
		fi, err := os.Stat(filepath.Join(logs, name))
		if (err == nil) != want {
			t.Errorf("%s: %v", name, err)
		}
		if name == "echod.log" && err == nil {
			if fi.Mode().Perm() != 0o640 {
				t.Errorf("new log mode %v, want 0640", fi.Mode().Perm())
			}
		}
	}
	got, _ := os.ReadFile(calls)
	if want := "systemctl reload echod.service\nsystemctl reload echod.service\n"; string(got) != want {
		t.Errorf("postrotate ran %q, want %q", got, want)
	}
	// copytruncate: no create, no postrotate.
	s.LogRotate.Method = spec.RotateCopyTruncate
	conf, err = b.render("pkg-logrotate.tmpl", logrotateFor(s, s, "/etc/init.d/echod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(conf, []byte("\n    copytruncate\n")) || bytes.Contains(conf, []byte("create")) || bytes.Contains(conf, []byte("postrotate")) {
		t.Errorf("copytruncate configuration:\n%s", conf)
	}
}

var _ = context.Background
var _ fs.FileMode
var _ = slices.Contains[[]string]
