package systemd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
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

// fuzzV2Spec builds a spec whose v2 fields come from a fuzz input and
// holds it to spec's Validate, as a Spec built by hand must be.
func fuzzV2Spec(template bool, envName, envValue, dir, directive, value, umask, doc, alias, pre, cap string) (*spec.Spec, error) {
	name := "fuzzd"
	if template {
		name = "fuzzd@"
	}
	s, err := (&spec.Config{Name: name, Exec: "/usr/bin/fuzzd", Args: []string{pre}, Hardening: "strict", User: "fuzz"}).Build()
	if err != nil {
		return nil, err
	}
	s.ArgsFromEnv = []spec.EnvVar{{Name: envName, Value: envValue}}
	s.Directories = []spec.Directory{{Kind: spec.DirState, Name: dir, Mode: 0o750}}
	s.HardeningOverrides = []spec.Override{{Directive: directive, Value: value}}
	s.UMask = umask
	s.Documentation = []string{doc}
	s.Aliases = []string{alias}
	s.ExecStartPre = [][]string{{"/usr/bin/fuzzd", "--test", pre}}
	s.Reload, s.ExecReload = spec.ReloadCommand, []string{"/usr/bin/fuzzd", "--reload", pre}
	s.AmbientCapabilities = []string{cap}
	s.ReadWritePaths = []string{"/var/lib/" + dir}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// FuzzV2Keys feeds arbitrary values of the v2 keys, in a plain and in a
// template service, through spec's Validate and the generator. Each input
// must be refused (spec.Errors, or ErrUnrepresentable) or give a unit in
// which every value stands on its own line, under its own directive, and
// reads back as given: ExecStart= words (with the $NAME default split at
// white space), ExecStartPre=/ExecReload= argv, %i kept in a template,
// every other "%" literal.
//
//	go test -fuzz=FuzzV2Keys ./systemd/
func FuzzV2Keys(f *testing.F) {
	f.Add(false, "OPTS", "-m 64 -p 11211", "app", "ProcSubset", "all", "0027", "man:app(8)", "app2", "two words", "CAP_NET_BIND_SERVICE")
	f.Add(true, "OPTS", "", "app-%i", "SystemCallFilter", "", "0077", "https://example.org/%20x", "other@", "%i and 100%", "CAP_NET_RAW")
	f.Add(false, "A\nB", "x\ny", "../etc", "UMask", "0000", "07777", "http://x y", "bad name", "$HOME;x", "cap_net_raw")
	f.Add(false, "O", "v", "a b", "ProcSubset", "all\nUser=root", "027", "man:x\\", "x\ny", "\\", "CAP_BOGUS")
	f.Add(true, "O", "%I", "%n", "PrivateNetwork", "yes\\", "0022", "man:%i", "x@", "%%i%I", "CAP_SYS_ADMIN")
	g := newGenerator(f)
	f.Fuzz(func(t *testing.T, template bool, envName, envValue, dir, directive, value, umask, doc, alias, pre, cap string) {
		s, err := fuzzV2Spec(template, envName, envValue, dir, directive, value, umask, doc, alias, pre, cap)
		if err != nil {
			var errs spec.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Validate: %v is not a spec.Errors", err)
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
		unitFile := files[0].Data
		checkReadsBack(t, s, unitFile)
		ctx := readContext(s)
		m := options(t, unitFile)
		for _, c := range []struct {
			key  string
			argv []string
		}{
			{"Service.ExecStartPre", s.ExecStartPre[0]},
			{"Service.ExecReload", s.ExecStartPre[0]},
		} {
			if len(m[c.key]) == 0 {
				t.Fatalf("no %s", c.key)
			}
			got, err := ctx.parseExec(m[c.key][0])
			want := []string{c.argv[0]}
			for _, a := range c.argv[1:] {
				want = append(want, ctx.instanceOf(s, a))
			}
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s reads back as %q (%v), want %q", c.key, got, err, want)
			}
		}
		// Every line is a comment, a section or a known directive: no
		// value added a line or a setting of its own.
		known := map[string]bool{}
		for _, k := range append(spec.HardeningDirectives(), "Description", "Documentation", "Wants", "After", "Requires",
			"StartLimitIntervalSec", "StartLimitBurst", "Type", "User", "Group", "WorkingDirectory", "RuntimeDirectory",
			"RuntimeDirectoryMode", "StateDirectory", "StateDirectoryMode", "EnvironmentFile", "ExecStartPre", "ExecStart",
			"ExecReload", "Restart", "RestartSec", "TimeoutStopSec", "SendSIGKILL", "CapabilityBoundingSet",
			"AmbientCapabilities", "UMask", "ReadWritePaths", "WantedBy", "Alias") {
			known[k] = true
		}
		for _, line := range strings.Split(string(unitFile), "\n") {
			k, _, _ := strings.Cut(line, "=")
			if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "[") && !known[k] {
				t.Fatalf("unexpected line %q in\n%s", line, unitFile)
			}
		}
		if got := m["Service."+directive]; value != "" && (len(got) != 1 || got[0] != newQuoter(s).text(value)) {
			t.Fatalf("%s=%q, want the override %q", directive, got, value)
		}
		if got := m["Install.Alias"]; !slices.Equal(got, []string{alias + ".service"}) {
			t.Fatalf("Alias=%q, want %s.service", got, alias)
		}
	})
}
