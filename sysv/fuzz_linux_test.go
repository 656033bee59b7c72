package sysv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// fuzzNS is one PID namespace per fuzzing process, shared by its inputs.
var fuzzNS struct {
	once sync.Once
	ns   *pidNS
	err  error
}

// fuzzShells are the shells an input may pick, by index.
var fuzzShells = [][]string{{"dash"}, {"busybox", "sh"}, {"bash", "--posix"}}

// FuzzScriptArgv feeds arbitrary names, descriptions, arguments and
// environment to the generator. Each input is either rejected with an error
// that names the field, or the generated script, run by a real shell, starts
// the recorder program through the same code path as any start (with or
// without start-stop-daemon, as root or as nobody) and the program receives
// exactly the argument vector and environment values of the spec, and the
// script prints the exact description.
//
// args and env hold NUL-separated lists (NUL cannot occur in a value); env
// entries are NAME=VALUE.
func FuzzScriptArgv(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root for PID namespaces")
	}
	f.Add("svc", "a service", "--flag\x00two words\x00it's", "GREETING=hello world", true, false, uint8(0))
	g, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, desc, args, env string, useSSD, asUser bool, shell uint8) {
		c := spec.Config{Name: name, Description: desc, Args: splitNUL(args)}
		seen := map[string]bool{roleEnv: true, recordEnv: true}
		for _, kv := range splitNUL(env) {
			k, v, _ := strings.Cut(kv, "=")
			if seen[k] {
				continue
			}
			seen[k] = true
			c.Environment = append(c.Environment, spec.EnvVar{Name: k, Value: v})
		}
		if len(c.Args) > 64 || len(c.Environment) > 64 {
			t.Skip("too many values")
		}
		dir, err := privateTempDir("daemonctl-sysv-fuzz-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		records := filepath.Join(dir, "rec.jsonl")
		c.Exec = helperBin
		c.PIDFile = filepath.Join(dir, "run", "svc.pid")
		c.EnvironmentFile = filepath.Join(dir, "absent")
		c.Environment = append(c.Environment, spec.EnvVar{Name: roleEnv, Value: roleRecorder}, spec.EnvVar{Name: recordEnv, Value: records})
		if asUser {
			c.User = "nobody"
			c.Group = groupOf(t, "nobody")
		}
		s, script, err := generate(t, g, c)
		if err != nil {
			// Rejected, clearly. The arguments themselves are never refused
			// (only NUL is, and NUL separates them here), so they still go
			// through the shell, under a name, description and environment
			// that pass.
			c.Name, c.Description = "svc", ""
			c.Environment = c.Environment[len(c.Environment)-2:]
			if s, script, err = generate(t, g, c); err != nil {
				t.Fatalf("safe values rejected: %v", err)
			}
		}
		shown := s.Description
		if strings.TrimSpace(shown) == "" {
			shown = s.Name // what the generator shows for a blank description
		}
		if err := checkHeader(script, s.Name, shown); err != nil {
			t.Fatalf("LSB header: %v", err)
		}
		path := filepath.Join(dir, "init")
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		sh := fuzzShells[int(shell)%len(fuzzShells)]
		if _, err := exec.LookPath(sh[0]); err != nil {
			t.Skipf("%s not installed", sh[0])
		}
		fuzzNS.once.Do(func() { fuzzNS.ns, fuzzNS.err = startPIDNS() })
		if fuzzNS.err != nil {
			t.Fatal(fuzzNS.err)
		}
		n := fuzzNS.ns
		countRun(sh[0], useSSD)
		runEnv := append(os.Environ(), "DAEMONCTL_NO_LSB=1")
		if !useSSD {
			runEnv = append(runEnv, "DAEMONCTL_NO_SSD=1")
		}
		run := func(action string) (string, int) {
			return n.run(t, runEnv, append(slices.Clone(sh), path, action)...)
		}
		out, code := run("start")
		defer func() {
			if out, code := run("stop"); code != 0 {
				t.Errorf("stop: exit %d\n%s", code, out)
			}
		}()
		if code != 0 {
			t.Fatalf("start under %v (ssd %v, user %v): exit %d\n%s", sh, useSSD, asUser, code, out)
		}
		if want := fmt.Sprintf("Starting %s: %s", shown, s.Name); !strings.Contains(out, want) {
			t.Errorf("start printed %q, want it to contain %q", out, want)
		}
		var recs []record
		for i := 0; i < 500 && len(recs) == 0; i++ {
			if recs = readRecords(t, records); len(recs) == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if len(recs) == 0 {
			t.Fatal("the program never recorded its start")
		}
		if got := rawStrings(recs[0].Args); !slices.Equal(got, s.Args) {
			t.Errorf("argv %q, want %q", got, s.Args)
		}
		for _, e := range s.Environment {
			if got, ok := recs[0].Env[e.Name]; !ok || got != e.Value {
				t.Errorf("env %s = %q (set %v), want %q", e.Name, got, ok, e.Value)
			}
		}
	})
}

// generate builds the spec and renders its script. It fails the test when a
// rejection does not name the field at fault; a clear rejection comes back
// as the error.
func generate(t testing.TB, g *Generator, c spec.Config) (*spec.Spec, string, error) {
	t.Helper()
	s, err := c.Build()
	if err != nil {
		var errs spec.Errors
		if !errors.As(err, &errs) || len(errs) == 0 || errs[0].Field == "" || errs[0].Reason == "" {
			t.Fatalf("spec rejected the input without naming a field: %v", err)
		}
		return nil, "", err
	}
	var script strings.Builder
	if err := g.Script(&script, s); err != nil {
		if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), ": ") || script.Len() != 0 {
			t.Fatalf("generator error is not a clear ErrUnsafe (or output was written): %v", err)
		}
		return nil, "", err
	}
	return s, script.String(), nil
}

// countRun appends a line to $DAEMONCTL_SYSV_FUZZ_LOG, when set, for every
// input that got as far as running the script, so that a fuzzing session
// can report how many did.
func countRun(shell string, useSSD bool) {
	path := os.Getenv("DAEMONCTL_SYSV_FUZZ_LOG")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s ssd=%v\n", shell, useSSD)
}

// splitNUL splits a NUL-separated list; the empty string is no entries.
func splitNUL(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
