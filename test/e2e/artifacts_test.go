//go:build e2e && linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
	"go.yaml.in/yaml/v3"
)

// exampleSpec is the bundled example the scenarios package, relative to
// the repository root.
const exampleSpec = "examples/echod/daemon.yaml"

// variant is a change to the example spec: empty fields keep its value.
type variant struct {
	Hardening string // hardening
	Version   string // package.version
	// Listen, a TCP host:port, becomes the socket-activation address
	// (listen: [tcp:Listen]) and replaces the value of --listen in args.
	Listen string
}

// packages are the .deb and .rpm built from one spec variant.
type packages struct {
	Spec *spec.Spec // the variant, loaded with the project's spec package
	Deb  string     // host path of the .deb
	RPM  string     // host path of the .rpm
}

// builder builds the binaries once and the packages once per variant.
type builder struct {
	mu       sync.Mutex
	built    bool
	buildErr error
	out      string // temporary directory for spec copies and packages
	pkgs     map[variant]packages
}

var artifacts builder

// binaries builds build/daemonctl and build/echod in the repository, the way
// the README does, so that the example spec's package.files find echod.
func (b *builder) binaries() error {
	if b.built {
		return b.buildErr
	}
	b.built = true
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.buildErr = err
		return err
	}
	for _, c := range []struct {
		out, pkg string
		env      []string
	}{
		{"build/daemonctl", "./cmd/daemonctl", []string{"CGO_ENABLED=0"}},
		{"build/daemonctl-build", "./cmd/daemonctl-build", []string{"CGO_ENABLED=0"}},
		// As the Makefile builds it: PIE, dynamically linked, full RELRO.
		{"build/echod", "./cmd/echod", []string{"CGO_ENABLED=1"}},
	} {
		args := []string{"build", "-o", c.out, c.pkg}
		if c.out == "build/echod" {
			args = []string{"build", "-trimpath", "-buildmode=pie", "-ldflags=-s -w -linkmode=external -extldflags=-Wl,-z,relro,-z,now", "-o", c.out, c.pkg}
		}
		cmd := exec.Command(gobin, args...)
		cmd.Dir = cfg.repo
		cmd.Env = append(os.Environ(), c.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.buildErr = fmt.Errorf("go build -o %s %s: %w\n%s", c.out, c.pkg, err, out)
			return b.buildErr
		}
	}
	b.out, b.buildErr = os.MkdirTemp("", "daemonctl-e2e-pkgs.")
	return b.buildErr
}

// get returns the packages of a variant, building them on first use; a build
// failure fails t.
func (b *builder) get(t testing.TB, v variant) packages {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.pkgs[v]; ok {
		return p
	}
	if err := b.binaries(); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	dir := filepath.Join(b.out, fmt.Sprintf("h-%s-v-%s-l-%s", v.Hardening, v.Version, v.Listen))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	specPath := filepath.Join(dir, "daemon.yaml")
	if err := writeVariant(filepath.Join(cfg.repo, exampleSpec), specPath, v); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	s, err := spec.Load(specPath)
	if err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	out := filepath.Join(dir, "dist")
	cmd := exec.Command(filepath.Join(cfg.repo, "build", "daemonctl"), "package", "-f", specPath, "--format", "all", "-o", out)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		t.Fatalf("artifacts: daemonctl package -f %s --format all -o %s: %v\n%s", specPath, out, err, outb.String())
	}
	p := packages{Spec: s, Deb: onlyMatch(t, out, "*.deb"), RPM: onlyMatch(t, out, "*.rpm")}
	if b.pkgs == nil {
		b.pkgs = map[variant]packages{}
	}
	b.pkgs[v] = p
	t.Logf("artifacts: built %s and %s (hardening %s)", filepath.Base(p.Deb), filepath.Base(p.RPM), s.Hardening)
	return p
}

// cleanup removes the temporary package directory.
func (b *builder) cleanup() {
	if b.out != "" {
		os.RemoveAll(b.out)
	}
}

// onlyMatch returns the one file in dir matching pattern, failing t when
// there is none or more than one.
func onlyMatch(t testing.TB, dir, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) != 1 {
		t.Fatalf("artifacts: want one %s in %s, found %v", pattern, dir, m)
	}
	return m[0]
}

// writeVariant copies the spec at src to dst with the variant applied and
// every relative package.files src made absolute against src's directory,
// so the copy packages the same files from anywhere.
func writeVariant(src, dst string, v variant) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("spec variant: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("spec variant: %s: %w", src, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("spec variant: %s: not a mapping", src)
	}
	top := doc.Content[0]
	if v.Hardening != "" {
		setScalar(top, "hardening", v.Hardening)
	}
	if v.Listen != "" {
		setSeq(top, "listen", "tcp:"+v.Listen)
		args := mapValue(top, "args")
		if args == nil || args.Kind != yaml.SequenceNode {
			return fmt.Errorf("spec variant: %s: no args list", src)
		}
		for i := 0; i+1 < len(args.Content); i++ {
			if args.Content[i].Value == "--listen" {
				args.Content[i+1].Value = v.Listen
			}
		}
	}
	pkg := mapValue(top, "package")
	if pkg == nil || pkg.Kind != yaml.MappingNode {
		return fmt.Errorf("spec variant: %s: no package mapping", src)
	}
	if v.Version != "" {
		setScalar(pkg, "version", v.Version)
	}
	if files := mapValue(pkg, "files"); files != nil {
		for _, f := range files.Content {
			if s := mapValue(f, "src"); s != nil && !filepath.IsAbs(s.Value) {
				s.Value = filepath.Join(filepath.Dir(src), s.Value)
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("spec variant: %w", err)
	}
	return os.WriteFile(dst, out, 0o644)
}

// mapValue returns the value node of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setScalar sets key in mapping m to a string scalar, adding it if absent.
func setScalar(m *yaml.Node, key, value string) {
	if n := mapValue(m, key); n != nil {
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", value, yaml.DoubleQuotedStyle
		return
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: yaml.DoubleQuotedStyle})
}

// setSeq sets key in mapping m to a sequence of string scalars.
func setSeq(m *yaml.Node, key string, values ...string) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range values {
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle})
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = seq
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, seq)
}
