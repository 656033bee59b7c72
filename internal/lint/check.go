package lint

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
)

// Tools finds and runs the external checkers. Tests replace it.
type Tools struct {
	// LookPath reports whether a program is installed (exec.LookPath).
	LookPath func(name string) (string, error)
	// Run runs a program and returns its combined output; a non-zero
	// exit is an error.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
}

// SystemTools runs the programs installed on this machine, with systemd's
// colours and pager off.
func SystemTools() Tools {
	return Tools{
		LookPath: exec.LookPath,
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0")
			return cmd.CombinedOutput()
		},
	}
}

// Result is what Check found.
type Result struct {
	// Findings in the order of their lines in the spec file, those on
	// no line last; on one line, each service's score, sandbox and SysV
	// findings, then the checkers'.
	Findings []Finding
	// Checked names each checker run that found nothing
	// ("systemd-analyze verify echod.service").
	Checked []string
}

// Count returns how many findings have severity sev.
func (r *Result) Count(sev Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == sev {
			n++
		}
	}
	return n
}

// Check judges the services rendered from root (see Render). It writes
// the files into a temporary directory, removed before it returns, for
// the checkers. The error is non-nil only when that directory cannot be
// made or written; a checker that fails or is missing is a Finding.
func Check(ctx context.Context, root *spec.Spec, services []Service, tools Tools) (*Result, error) {
	dir, err := os.MkdirTemp("", "daemonctl-lint-")
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := atomicfile.WriteAll(dir, Files(services)); err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	r := &Result{}
	c := &checker{ctx: ctx, root: root, tools: tools, dir: dir, result: r}
	for _, sv := range services {
		r.Findings = append(r.Findings, c.security(sv))
		r.Findings = append(r.Findings, sandboxFindings(root, sv)...)
		r.Findings = append(r.Findings, sysvFindings(root, sv)...)
	}
	r.Findings = slicesDeleteNil(r.Findings)
	for _, sv := range services {
		c.verify(sv)
	}
	for _, sv := range services {
		c.script(sv)
	}
	// File order, as a compiler reports; findings on no line (defaults,
	// missing tools) last.
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
	return r, nil
}

func sortLine(l int) int {
	if l == 0 {
		return math.MaxInt
	}
	return l
}

// slicesDeleteNil drops the empty findings a checker returns when it has
// nothing to say.
func slicesDeleteNil(fs []Finding) []Finding {
	out := fs[:0]
	for _, f := range fs {
		if f.Severity != "" {
			out = append(out, f)
		}
	}
	return out
}

// checker runs the external programs over the files in dir.
type checker struct {
	ctx     context.Context
	root    *spec.Spec
	tools   Tools
	dir     string
	result  *Result
	missing map[string]bool
}

// installed reports whether name is installed; the first time it is not,
// a note says which checks were skipped.
func (c *checker) installed(name, skipped string) bool {
	if _, err := c.tools.LookPath(name); err == nil {
		return true
	}
	if c.missing == nil {
		c.missing = map[string]bool{}
	}
	if !c.missing[name] {
		c.missing[name] = true
		c.result.Findings = append(c.result.Findings, Finding{File: c.root.Source, Severity: SeverityNote,
			Message: fmt.Sprintf("%s is not installed: %s", name, skipped)})
	}
	return false
}

// exposureRE finds the score in systemd-analyze security's last line:
// "→ Overall exposure level for echod.service: 1.1 OK 🙂".
var exposureRE = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+ [A-Z]+)`)

// security is the systemd-analyze security score of the service unit, as
// a note on the spec's hardening line. A template is scored as an
// instance named "lint".
func (c *checker) security(sv Service) Finding {
	if !c.installed("systemd-analyze", "no security score, no unit verification") {
		return Finding{}
	}
	unit := sv.Units[0].Name
	path := filepath.Join(c.dir, unit)
	if sv.Spec.IsTemplate() {
		instance := strings.Replace(unit, "@.", "@lint.", 1)
		path = filepath.Join(c.dir, instance)
		if err := os.Symlink(unit, path); err != nil {
			return sv.finding(c.root, "hardening", SeverityWarning, "systemd-analyze security %s: %v", unit, err)
		}
	}
	out, err := c.tools.Run(c.ctx, "systemd-analyze", "security", "--offline=true", "--no-pager", path)
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		return sv.finding(c.root, "hardening", SeverityWarning, "systemd-analyze security %s gave no score (%v): %s", unit, err, firstLine(out))
	}
	return sv.finding(c.root, "hardening", SeverityNote, "systemd-analyze security: %s (%s)", m[1], unit)
}

// verify runs systemd-analyze verify on each unit of the service. It exits
// 0 on unknown keys, so any output line naming the unit is an error; a
// program that is not installed on this machine is not.
func (c *checker) verify(sv Service) {
	if !c.installed("systemd-analyze", "no security score, no unit verification") {
		return
	}
	for _, u := range sv.Units {
		path := filepath.Join(c.dir, u.Name)
		out, err := c.tools.Run(c.ctx, "systemd-analyze", "verify", "--man=no", "--generators=no", path)
		var findings []string
		missingExec := false
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			switch {
			case line == "":
			case strings.Contains(line, sv.Spec.Exec) && strings.Contains(line, "No such file or directory"):
				missingExec = true
			case strings.Contains(line, u.Name) || strings.Contains(line, path):
				findings = append(findings, strings.ReplaceAll(line, c.dir+"/", ""))
			}
		}
		if err != nil && len(findings) == 0 && !missingExec {
			findings = append(findings, fmt.Sprintf("%v: %s", err, firstLine(out)))
		}
		for _, f := range findings {
			c.result.Findings = append(c.result.Findings, sv.finding(c.root, "name", SeverityError, "systemd-analyze verify %s: %s", u.Name, untab(f)))
		}
		if len(findings) == 0 {
			c.result.Checked = append(c.result.Checked, "systemd-analyze verify "+u.Name)
		}
	}
}

// script runs shellcheck and sh -n under every shell that is installed
// on the service's init script.
func (c *checker) script(sv Service) {
	if sv.Script == nil {
		return
	}
	path := filepath.Join(c.dir, sv.Script.Name)
	fail := func(tool string, out []byte, err error) {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 1 && lines[0] == "" {
			lines = []string{err.Error()}
		}
		for _, l := range lines {
			c.result.Findings = append(c.result.Findings, sv.finding(c.root, "name", SeverityError, "%s %s: %s", tool, sv.Script.Name, untab(strings.ReplaceAll(l, c.dir+"/", ""))))
		}
	}
	if c.installed("shellcheck", "the init scripts were not checked by it") {
		if out, err := c.tools.Run(c.ctx, "shellcheck", "-s", "sh", "-f", "gcc", path); err != nil {
			fail("shellcheck", out, err)
		} else {
			c.result.Checked = append(c.result.Checked, "shellcheck -s sh "+sv.Script.Name)
		}
	}
	for _, shell := range [][]string{{"dash"}, {"bash", "--posix"}, {"busybox", "sh"}} {
		tool := strings.Join(shell, " ") + " -n"
		if !c.installed(shell[0], "no "+tool+" syntax check") {
			continue
		}
		args := append(shell[1:], "-n", path)
		if out, err := c.tools.Run(c.ctx, shell[0], args...); err != nil {
			fail(tool, out, err)
		} else {
			c.result.Checked = append(c.result.Checked, tool+" "+sv.Script.Name)
		}
	}
}

func firstLine(out []byte) string {
	l, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return l
}

// untab turns the tabs of quoted script lines into spaces; every other
// control byte is escaped when the finding is printed.
func untab(s string) string { return strings.ReplaceAll(s, "\t", "    ") }
