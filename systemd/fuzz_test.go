package systemd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// fuzzSpec builds the spec a fuzz input describes, or returns Build's error.
func fuzzSpec(name, a1, a2, a3, envName, envValue, desc string) (*spec.Spec, error) {
	cfg := &spec.Config{
		Name:        name,
		Description: desc,
		Exec:        "/usr/bin/fuzzd",
		Args:        []string{a1, a2, a3},
		Environment: []spec.EnvVar{{Name: envName, Value: envValue}},
	}
	return cfg.Build()
}

// FuzzExecStart feeds arbitrary names, arguments, environment and
// descriptions through spec.Build and the generator. Each input must
// either be refused with a clear error (spec.Errors from Build, or
// ErrUnrepresentable from the generator) or give a unit whose ExecStart=,
// Environment= and Description= read back, by the test's own reader of
// systemd's syntax, exactly as given.
//
//	go test -fuzz=FuzzExecStart ./systemd/
func FuzzExecStart(f *testing.F) {
	f.Add("echod", "--listen", "127.0.0.1:7007", "", "GREETING", "hello from echod", "echo daemon")
	f.Add("odd", "two words", `say "hi"`, `back\slash\`, "X", "$HOME %h", "100% sure")
	f.Add("semi", ";", `\;`, "a;b", "S", ";", "semi;colon")
	f.Add("ctl", "tab\there", "new\nline", "\x01\x7f\xff", "C", "line1\nline2", "ctl")
	f.Add("dollar", "$HOME", "${X}", "$$", "D", "$", "cost $5")
	f.Add("pct", "%n", "%%", "%", "P", "%i", "%n")
	f.Add("uni", "caf\u00e9", "\u2028", "\u0085", "U", "\u00a0", "caf\u00e9")
	g := newGenerator(f)
	f.Fuzz(func(t *testing.T, name, a1, a2, a3, envName, envValue, desc string) {
		s, err := fuzzSpec(name, a1, a2, a3, envName, envValue, desc)
		if err != nil {
			var errs spec.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Build: %v is not a spec.Errors", err)
			}
			for _, e := range errs {
				if e.Field == "" || e.Reason == "" {
					t.Fatalf("Build: unclear error %#v", e)
				}
			}
			return
		}
		files, err := g.Files(s)
		if err != nil {
			if !errors.Is(err, ErrUnrepresentable) {
				t.Fatalf("Files: %v, want nil or ErrUnrepresentable", err)
			}
			return
		}
		if len(files) != 1 || files[0].Name != s.Name+".service" {
			t.Fatalf("Files: unexpected files for %q", s.Name)
		}
		var buf bytes.Buffer
		if err := g.Service(&buf, s); err != nil {
			t.Fatalf("Service failed where Files succeeded: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), files[0].Data) {
			t.Fatalf("Service and Files disagree")
		}
		checkReadsBack(t, s, files[0].Data)
	})
}

// TestFuzzSeeds runs the committed seed corpus through the generator and
// checks that it exercises every outcome: accepted, refused by spec.Build,
// refused by the generator.
func TestFuzzSeeds(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzExecStart", "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	g := newGenerator(t)
	var accepted, badSpec, unrepresentable int
	for _, p := range paths {
		in := readCorpusFile(t, p)
		if len(in) != 7 {
			t.Fatalf("%s: %d values, want 7", p, len(in))
		}
		s, err := fuzzSpec(in[0], in[1], in[2], in[3], in[4], in[5], in[6])
		if err != nil {
			badSpec++
			continue
		}
		var buf bytes.Buffer
		switch err := g.Service(&buf, s); {
		case errors.Is(err, ErrUnrepresentable):
			unrepresentable++
		case err != nil:
			t.Fatalf("%s: %v", p, err)
		default:
			accepted++
			checkReadsBack(t, s, buf.Bytes())
		}
	}
	t.Logf("seeds: %d accepted, %d refused by spec.Build, %d refused by the generator", accepted, badSpec, unrepresentable)
	if accepted < len(paths)/2 || badSpec == 0 || unrepresentable == 0 {
		t.Errorf("seed corpus does not cover every outcome: %d accepted, %d bad spec, %d unrepresentable", accepted, badSpec, unrepresentable)
	}
}

// readCorpusFile decodes a "go test fuzz v1" file of string values.
func readCorpusFile(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) == 0 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", path)
	}
	var vals []string
	for _, l := range lines[1:] {
		lit, ok := strings.CutPrefix(l, "string(")
		if !ok || !strings.HasSuffix(lit, ")") {
			t.Fatalf("%s: unexpected line %q", path, l)
		}
		v, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %q: %v", path, l, err)
		}
		vals = append(vals, v)
	}
	return vals
}
