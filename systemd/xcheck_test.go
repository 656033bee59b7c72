package systemd

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// systemdBinary returns the system manager's binary, or skips the test.
func systemdBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	t.Skip("the systemd binary is not installed")
	return ""
}

// xcheckPalette is what random arguments are made of: everything the
// quoter treats specially, plus ordinary text.
var xcheckPalette = []string{
	"a", "Z9", "-", "--x=", " ", "  ", "\t", "\n", "\r", `"`, "'", `\`, `\\`, "$", "$$", "${A}", "$A",
	"%", "%%", "%n", ";", `\;`, "#", "=", "*", "~", "\x01", "\x1b", "\x7f", "\xff", "\xc3", "\xc3\xa9",
	"\u2028", "\u0085", "\u00a0", "日本", "{}", "()", "`", "!",
}

func randomArg(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(7) {
		b.WriteString(xcheckPalette[r.IntN(len(xcheckPalette))])
	}
	return b.String()
}

// TestAgainstSystemd renders hundreds of units with odd arguments,
// environment values and descriptions, loads them all with the real
// systemd in test mode (systemd --test, which parses the units and dumps
// what it understood) and compares systemd's reading with the spec and
// with this package's own test reader (parseExecStart), so that reader is
// known to agree with systemd. systemd prints argv before "$"
// substitution, which happens only when a command runs; the test applies
// it ("$$" → "$") itself.
func TestAgainstSystemd(t *testing.T) {
	sd := systemdBinary(t)
	g := newGenerator(t)
	r := rand.New(rand.NewPCG(2, 52))
	var argvs [][]string
	for _, tc := range goldenCases {
		if tc.name == "odd-args" {
			argvs = append(argvs, buildSpec(t, tc.yaml).Args)
		}
	}
	for range 400 {
		args := make([]string, 1+r.IntN(4))
		for i := range args {
			args[i] = randomArg(r)
		}
		argvs = append(argvs, args)
	}

	dir, err := os.MkdirTemp("", "daemonctl-xcheck-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // readable by the unprivileged test-mode manager
		t.Fatal(err)
	}
	specs := map[string]*spec.Spec{}
	var target strings.Builder
	target.WriteString("[Unit]\nDescription=daemonctl cross-check\n")
	for i, args := range argvs {
		for j := range args {
			args[j] = strings.ReplaceAll(args[j], "\x00", "")
		}
		desc := strings.Map(func(r rune) rune {
			if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u0085' {
				return -1
			}
			return r
		}, strings.ToValidUTF8(strings.Join(args, " "), "?"))
		for desc != strings.TrimRight(strings.TrimSpace(desc), `\`) {
			desc = strings.TrimRight(strings.TrimSpace(desc), `\`)
		}
		env := strings.ToValidUTF8(strings.ReplaceAll(strings.Join(args, "|"), "\n", ""), "?")
		name, unitName := fmt.Sprintf("xcheck%03d", i), ""
		if i%4 == 0 { // a template, loaded as instance testInstance
			name += "@"
			unitName = name + testInstance + ".service"
			args = append(args, "%i", "x%Iy", "%%i")
		} else {
			unitName = name + ".service"
		}
		cfg := &spec.Config{
			Name: name, Exec: "/bin/sleep", Args: args, Description: or(desc, name), Hardening: "off",
			Environment: []spec.EnvVar{{Name: "XCHECK", Value: env}},
		}
		s, err := cfg.Build()
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var buf bytes.Buffer
		if err := g.Service(&buf, s); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkReadsBack(t, s, buf.Bytes())
		if err := os.WriteFile(filepath.Join(dir, name+".service"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		specs[unitName] = s
		fmt.Fprintf(&target, "Wants=%s\n", unitName)
	}
	if err := os.WriteFile(filepath.Join(dir, "xcheck.target"), []byte(target.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(sd, "--test", "--system", "--unit=xcheck.target", "--log-target=console", "--log-level=warning")
	cmd.Env = []string{"SYSTEMD_UNIT_PATH=" + dir + ":", "HOME=/", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if os.Geteuid() == 0 { // systemd refuses test mode as root
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("systemd --test: %v\n%s", err, stderr.Bytes())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "xcheck") {
			t.Errorf("systemd: %s", line)
		}
	}
	dumps := parseDump(t, out)
	for name, s := range specs {
		ctx := readContext(s)
		d, ok := dumps[name]
		if !ok {
			t.Errorf("%s: not in systemd's dump", name)
			continue
		}
		argv := make([]string, len(d.execStart))
		for i, w := range d.execStart {
			argv[i] = strings.ReplaceAll(w, "$$", "$") // run-time substitution
		}
		want := []string{s.Exec}
		for _, a := range s.Args {
			want = append(want, ctx.instanceOf(s, a))
		}
		if !slices.Equal(argv, want) {
			t.Errorf("%s: systemd reads ExecStart as %q, want %q", name, argv, want)
		}
		if want := "XCHECK=" + ctx.instanceOf(s, s.Environment[0].Value); !slices.Equal(d.environment, []string{want}) {
			t.Errorf("%s: systemd reads Environment as %q, want %q", name, d.environment, want)
		}
		if want := ctx.instanceOf(s, s.Description); d.description != want {
			t.Errorf("%s: systemd reads Description as %q, want %q", name, d.description, want)
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// unitDump is what the test reads back from systemd's dump of one unit.
type unitDump struct {
	description string
	environment []string
	execStart   []string
}

// parseDump reads systemd --test output: "\t-> Unit NAME:" starts a unit,
// "\t\tDescription: ..." and "\t\tEnvironment: ..." are raw, and the
// "\t\t\tCommand Line: ..." after "\t\t-> ExecStart:" is shell-quoted.
func parseDump(t *testing.T, out []byte) map[string]*unitDump {
	t.Helper()
	units := map[string]*unitDump{}
	var cur *unitDump
	inExecStart := false
	// Split on "\n" only: a raw environment value may hold "\r".
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "\t-> Unit "); ok {
			cur = &unitDump{}
			units[strings.TrimSuffix(name, ":")] = cur
			inExecStart = false
			continue
		}
		if cur == nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "\t\tDescription: "):
			cur.description = strings.TrimPrefix(line, "\t\tDescription: ")
		case strings.HasPrefix(line, "\t\tEnvironment: "):
			cur.environment = append(cur.environment, strings.TrimPrefix(line, "\t\tEnvironment: "))
		case strings.HasPrefix(line, "\t\t-> "):
			inExecStart = line == "\t\t-> ExecStart:"
		case inExecStart && strings.HasPrefix(line, "\t\t\tCommand Line: "):
			argv, err := unquoteDump(strings.TrimPrefix(line, "\t\t\tCommand Line: "))
			if err != nil {
				t.Fatalf("systemd dump %q: %v", line, err)
			}
			cur.execStart = argv
			inExecStart = false
		}
	}
	return units
}

// unquoteDump splits systemd's display form of a command line: bare words,
// or double-quoted words with C escapes (\n, \177 ...) and backslashed
// shell specials (\" \\ \$ \`).
func unquoteDump(s string) ([]string, error) {
	var argv []string
	for s != "" {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		if s[0] != '"' {
			word, rest, _ := strings.Cut(s, " ")
			argv, s = append(argv, word), rest
			continue
		}
		var b []byte
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' {
				b = append(b, s[i])
				continue
			}
			i++
			if i >= len(s) {
				return nil, fmt.Errorf("dangling backslash in %q", s)
			}
			switch c := s[i]; {
			case strings.IndexByte("abfnrtv", c) >= 0:
				b = append(b, "\a\b\f\n\r\t\v"[strings.IndexByte("abfnrtv", c)])
			case c >= '0' && c <= '7' && i+2 < len(s):
				n, err := strconv.ParseUint(s[i:i+3], 8, 8)
				if err != nil {
					return nil, fmt.Errorf("bad octal escape in %q", s)
				}
				b = append(b, byte(n))
				i += 2
			default:
				b = append(b, c)
			}
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated quote in %q", s)
		}
		argv, s = append(argv, string(b)), s[i+1:]
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command line")
	}
	return argv, nil
}
