//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// realDaemon is a third-party daemon packaged from Debian's archive: the
// spec in examples/<example>/daemon.yaml ships files of the archive's
// packages, unpacked with dpkg-deb -x into root/ beside a copy of the spec.
type realDaemon struct {
	example string   // directory under examples/
	debs    []string // the archive packages unpacked into root/, in order
}

// realBuild is a daemon's .deb as daemonctl builds it from the spec, and
// the unpacked archive packages it was built from.
type realBuild struct {
	Spec     *spec.Spec
	Deb      string // host path of the .deb
	Root     string // the unpacked archive packages (Debian's own units are in lib/systemd/system)
	Versions string // the archive packages and versions, for the log
}

// realBuilder builds each daemon's .deb once per test run.
type realBuilder struct {
	mu    sync.Mutex
	built map[string]realBuild
}

var realDebs realBuilder

// get returns the build of d, fetching the archive's packages (cached
// under $DAEMONCTL_E2E_CACHE/debs) and running daemonctl package on first
// use; a failure fails t.
func (b *realBuilder) get(t testing.TB, d realDaemon) realBuild {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.built[d.example]; ok {
		return r
	}
	artifacts.mu.Lock()
	err := artifacts.binaries()
	out := artifacts.out
	artifacts.mu.Unlock()
	if err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	debs, err := archive.fetch(ctx, d.debs...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	var versions []string
	for _, deb := range debs {
		versions = append(versions, deb.Name+"="+deb.Version)
	}
	dir := filepath.Join(out, "real-"+d.example)
	root := filepath.Join(dir, "root")
	if err := extractDebs(ctx, root, debs); err != nil {
		t.Fatalf("%v", err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.repo, "examples", d.example, "daemon.yaml"))
	if err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	specPath := filepath.Join(dir, "daemon.yaml")
	if err := os.WriteFile(specPath, data, 0o644); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	s, err := spec.Load(specPath)
	if err != nil {
		t.Fatalf("artifacts: examples/%s/daemon.yaml: %v", d.example, err)
	}
	dist := filepath.Join(dir, "dist")
	cmd := exec.Command(filepath.Join(cfg.repo, "build", "daemonctl"), "package", "-f", specPath, "--format", "deb", "-o", dist)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		t.Fatalf("artifacts: daemonctl package -f %s --format deb: %v\n%s", specPath, err, outb.String())
	}
	r := realBuild{Spec: s, Deb: onlyMatch(t, dist, "*.deb"), Root: root, Versions: strings.Join(versions, " ")}
	if b.built == nil {
		b.built = map[string]realBuild{}
	}
	b.built[d.example] = r
	t.Logf("artifacts: built %s from %s in %s", filepath.Base(r.Deb), r.Versions, time.Since(start).Round(100*time.Millisecond))
	return r
}

// debianUnit returns the content of a unit file of Debian's own packaging
// of the daemon, from the unpacked archive packages.
func (r realBuild) debianUnit(t testing.TB, unit string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(r.Root, "lib", "systemd", "system", unit))
	if err != nil {
		t.Fatalf("Debian's unit: %v", err)
	}
	return data
}

// service returns the spec of the package's service called name.
func (r realBuild) service(t testing.TB, name string) *spec.Spec {
	t.Helper()
	for _, s := range r.Spec.All() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("%s: no service %s", r.Spec.Source, name)
	return nil
}
