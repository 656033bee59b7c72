package packaging_test

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
	"github.com/daemonctl/daemonctl/sysv"
)

var fixedTime = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

func builder(t *testing.T) *packaging.Builder {
	t.Helper()
	sg, err := systemd.New()
	if err != nil {
		t.Fatal(err)
	}
	vg, err := sysv.New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := packaging.New(packaging.Generators{Systemd: sg, SysV: vg})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// goBinaries builds a static program twice, as a release would (stripped,
// -s -w) and as a plain "go build" (with symbols), once per test run.
func goBinaries(t *testing.T) (stripped, unstripped string) {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "daemonctl-pkgtest-")
		if binErr != nil {
			return
		}
		pkg := "../cmd/echod"
		if _, err := os.Stat(filepath.Join(pkg, "main.go")); err != nil {
			pkg = "../cmd/daemonctl"
		}
		for _, b := range []struct{ out, ldflags string }{{"echod", "-s -w"}, {"echod-debug", ""}} {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+b.ldflags, "-o", filepath.Join(binDir, b.out), pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				binErr = errors.New(string(out))
				return
			}
		}
	})
	if binErr != nil {
		t.Fatalf("build test binary: %v", binErr)
	}
	return filepath.Join(binDir, "echod"), filepath.Join(binDir, "echod-debug")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// echodSpec is examples/echod/daemon.yaml with the binary at bin.
func echodSpec(t *testing.T, bin string) *spec.Spec {
	t.Helper()
	data, err := os.ReadFile("../examples/echod/daemon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := strings.Replace(string(data), "../../build/echod", bin, 1)
	p := filepath.Join(dir, "daemon.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t *testing.T, s *spec.Spec, opts packaging.Options) map[packaging.Format]string {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.ModTime.IsZero() {
		opts.ModTime = fixedTime
	}
	arts, err := builder(t).Build(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[packaging.Format]string{}
	for _, a := range arts {
		fi, err := os.Stat(a.Path)
		if err != nil || fi.Size() != a.Size {
			t.Fatalf("artifact %+v: %v", a, err)
		}
		out[a.Format] = a.Path
	}
	return out
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestFileNames(t *testing.T) {
	bin, _ := goBinaries(t)
	s := echodSpec(t, bin)
	s.Package.Arch = "arm64"
	got := build(t, s, packaging.Options{})
	want := map[packaging.Format]string{
		packaging.Deb: "echod_0.1.0-1_arm64.deb",
		packaging.RPM: "echod-0.1.0-1.aarch64.rpm",
	}
	for f, name := range want {
		if filepath.Base(got[f]) != name {
			t.Errorf("%s: got %s, want %s", f, filepath.Base(got[f]), name)
		}
	}
}

func TestReproducible(t *testing.T) {
	bin, _ := goBinaries(t)
	s := echodSpec(t, bin)
	env := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}
	// Two builds into two directories, timestamps from SOURCE_DATE_EPOCH.
	dir1, dir2 := t.TempDir(), t.TempDir()
	for _, dir := range []string{dir1, dir2} {
		if _, err := builder(t).Build(context.Background(), s, packaging.Options{Dir: dir, Getenv: env}); err != nil {
			t.Fatal(err)
		}
	}
	names := map[packaging.Format]string{}
	for _, f := range packaging.Formats() {
		name, err := packaging.FileName(s, f)
		if err != nil {
			t.Fatal(err)
		}
		names[f] = name
		d1, err1 := os.ReadFile(filepath.Join(dir1, name))
		d2, err2 := os.ReadFile(filepath.Join(dir2, name))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d1, d2) {
			t.Errorf("%s: two builds differ", name)
		}
	}
	if _, err := exec.LookPath("dpkg-deb"); err == nil {
		out := run(t, "dpkg-deb", "--contents", filepath.Join(dir1, names[packaging.Deb]))
		if !strings.Contains(out, "2023-11-14 22:13 ./usr/bin/echod") {
			t.Errorf("SOURCE_DATE_EPOCH=1700000000 not applied to file times:\n%s", out)
		}
	}
}

func TestNothingLeftOnError(t *testing.T) {
	bin, _ := goBinaries(t)
	b := builder(t)
	ctx := context.Background()

	s := echodSpec(t, bin)
	s.Package.Files[0].Src = filepath.Join(t.TempDir(), "missing")
	dir := t.TempDir()
	_, err := b.Build(ctx, s, packaging.Options{Dir: dir, ModTime: fixedTime})
	var mf *packaging.MissingFileError
	if !errors.As(err, &mf) || mf.Field != "package.files[0].src" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing source: got %v, want a MissingFileError for package.files[0].src", err)
	}
	assertEmpty(t, dir)

	s = echodSpec(t, bin)
	s.Package.Version = ""
	_, err = b.Build(ctx, s, packaging.Options{Dir: dir, ModTime: fixedTime})
	var se spec.Errors
	if !errors.As(err, &se) || se[0].Field != "package.version" {
		t.Errorf("no version: got %v, want spec.Errors on package.version", err)
	}
	assertEmpty(t, dir)

	s = echodSpec(t, bin)
	_, err = b.Build(ctx, s, packaging.Options{Dir: dir, Formats: []packaging.Format{packaging.Deb, "apk"}})
	if !errors.Is(err, packaging.ErrUnknownFormat) {
		t.Errorf("format apk: got %v, want ErrUnknownFormat", err)
	}
	assertEmpty(t, dir)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = b.Build(cctx, s, packaging.Options{Dir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
	assertEmpty(t, dir)
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in the output directory: %s", e.Name())
	}
}

func TestDebContents(t *testing.T) {
	need(t, "dpkg-deb")
	bin, _ := goBinaries(t)
	deb := build(t, echodSpec(t, bin), packaging.Options{Formats: []packaging.Format{packaging.Deb}})[packaging.Deb]

	info := run(t, "dpkg-deb", "--info", deb)
	for _, field := range []string{
		"Package: echod", "Version: 0.1.0-1", "Architecture: amd64", "Section: misc", "Priority: optional",
		"Maintainer: daemonctl developers <dev@daemonctl.invalid>", "Homepage: https://daemonctl.invalid/",
		"Description: daemonctl reference TCP echo daemon",
	} {
		if !strings.Contains(info, "\n "+field+"\n") {
			t.Errorf("control lacks %q:\n%s", field, info)
		}
	}
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		if !regexp.MustCompile(`\* +` + script + ` +#!/bin/sh`).MatchString(info) {
			t.Errorf("no executable %s:\n%s", script, info)
		}
	}
	if got := run(t, "dpkg-deb", "--field", deb, "Depends"); strings.TrimSpace(got) != "" {
		t.Errorf("a static program needs no Depends, got %q", got)
	}
	ctrl := t.TempDir()
	run(t, "dpkg-deb", "--control", deb, ctrl)
	conf, err := os.ReadFile(filepath.Join(ctrl, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(conf)), []string{"/etc/default/echod", "/etc/init.d/echod"}; !slices.Equal(got, want) {
		t.Errorf("conffiles = %q, want %q", got, want)
	}

	want := map[string]string{
		"./usr/bin/echod":                           "-rwxr-xr-x",
		"./lib/systemd/system/echod.service":        "-rw-r--r--",
		"./etc/init.d/echod":                        "-rwxr-xr-x",
		"./etc/default/echod":                       "-rw-r--r--",
		"./usr/lib/sysusers.d/echod.conf":           "-rw-r--r--",
		"./usr/share/doc/echod/copyright":           "-rw-r--r--",
		"./usr/share/doc/echod/changelog.Debian.gz": "-rw-r--r--",
		"./usr/share/lintian/overrides/echod":       "-rw-r--r--",
	}
	got := map[string]string{}
	for _, l := range strings.Split(run(t, "dpkg-deb", "--contents", deb), "\n") {
		f := strings.Fields(l)
		if len(f) == 6 {
			got[f[5]] = f[0]
			if f[1] != "root/root" {
				t.Errorf("%s owned by %s", f[5], f[1])
			}
		}
	}
	for p, mode := range want {
		if got[p] != mode {
			t.Errorf("%s: mode %q, want %q", p, got[p], mode)
		}
	}

	data := t.TempDir()
	run(t, "dpkg-deb", "--extract", deb, data)
	checkFile(t, data, "etc/default/echod", `#ECHOD_GREETING="hello from echod"`)
	checkFile(t, data, "usr/lib/sysusers.d/echod.conf", `u echod - "daemonctl reference TCP echo daemon" /nonexistent /usr/sbin/nologin`)
	checkFile(t, data, "usr/share/lintian/overrides/echod", "echod: statically-linked-binary [usr/bin/echod]")
	checkFile(t, data, "usr/share/doc/echod/copyright", "License: Expat")
	checkFile(t, data, "lib/systemd/system/echod.service", "EnvironmentFile=-/etc/default/echod")
}

func checkFile(t *testing.T, root, rel, want string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Error(err)
		return
	}
	if !strings.Contains(string(data), want) {
		t.Errorf("%s lacks %q:\n%s", rel, want, data)
	}
}

func TestRPMContents(t *testing.T) {
	need(t, "rpm")
	bin, _ := goBinaries(t)
	s := echodSpec(t, bin)
	s.Package.Depends = []string{"libfoo1 (>= 1.2) | libbar", "baz (<< 2)"}
	p := build(t, s, packaging.Options{Formats: []packaging.Format{packaging.RPM}})[packaging.RPM]

	q := func(args ...string) string {
		return run(t, "rpm", append([]string{"-qp", "--nosignature"}, append(args, p)...)...)
	}
	if got := q("--queryformat", "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}"); got != "echod 0.1.0 1 x86_64 MIT" {
		t.Errorf("header = %q", got)
	}
	scripts := q("--scripts")
	for _, want := range []string{"preinstall scriptlet", "postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet",
		"systemctl --no-reload enable echod.service", "systemctl try-restart echod.service", "useradd --system"} {
		if !strings.Contains(scripts, want) {
			t.Errorf("scripts lack %q", want)
		}
	}
	reqs := q("--requires")
	for _, want := range []string{"(libfoo1 >= 1.2 or libbar)", "baz < 2"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("requires lack %q:\n%s", want, reqs)
		}
	}
	if got := strings.Fields(q("--configfiles")); !slices.Equal(got, []string{"/etc/default/echod"}) {
		t.Errorf("config files = %q", got)
	}
	if got := q("--queryformat", "[%{FILENAMES} %{FILEFLAGS:fflags}\n]"); !strings.Contains(got, "/etc/default/echod cn") {
		t.Errorf("/etc/default/echod is not %%config(noreplace):\n%s", got)
	}
	list := q("-lv")
	for _, want := range []string{
		"-rwxr-xr-x    1 root     root .* /usr/bin/echod",
		"-rw-r--r--    1 root     root .* /usr/lib/systemd/system/echod.service",
		"-rwxr-xr-x    1 root     root .* /etc/rc.d/init.d/echod",
		"/usr/share/licenses/echod/copyright",
	} {
		if !regexp.MustCompile(want).MatchString(list) {
			t.Errorf("file list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "changelog.Debian") || strings.Contains(list, "lintian") {
		t.Errorf("Debian-only files in the rpm:\n%s", list)
	}
}

// TestStrip packages a binary with symbols: the package holds it stripped,
// the source file is untouched.
func TestStrip(t *testing.T) {
	need(t, "strip", "dpkg-deb")
	_, debug := goBinaries(t)
	before, err := os.ReadFile(debug)
	if err != nil {
		t.Fatal(err)
	}
	deb := build(t, echodSpec(t, debug), packaging.Options{Formats: []packaging.Format{packaging.Deb}})[packaging.Deb]
	data := t.TempDir()
	run(t, "dpkg-deb", "--extract", deb, data)
	f, err := elf.Open(filepath.Join(data, "usr/bin/echod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil {
		t.Error("packaged binary still has .symtab")
	}
	after, _ := os.ReadFile(debug)
	if !bytes.Equal(before, after) {
		t.Error("the source binary was modified")
	}
	var warn bytes.Buffer
	noStrip := build(t, echodSpec(t, debug), packaging.Options{Formats: []packaging.Format{packaging.Deb},
		Strip: func(context.Context, string, string) error { return exec.ErrNotFound }, Warn: &warn})
	if !strings.Contains(warn.String(), "is not stripped") {
		t.Errorf("no warning without a strip program: %q", warn.String())
	}
	if fi, err := os.Stat(noStrip[packaging.Deb]); err != nil || fi.Size() <= mustSize(t, deb) {
		t.Errorf("package built without strip is not larger: %v", err)
	}
}

func mustSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestLintian is the Debian quality gate: no error (E:) on the echod .deb.
func TestLintian(t *testing.T) {
	if testing.Short() {
		t.Skip("lintian is slow")
	}
	need(t, "lintian")
	bin, _ := goBinaries(t)
	deb := build(t, echodSpec(t, bin), packaging.Options{Formats: []packaging.Format{packaging.Deb}})[packaging.Deb]
	out, err := exec.Command("lintian", "--no-cfg", "--pedantic", "--display-info", deb).CombinedOutput()
	t.Logf("lintian:\n%s", out)
	if err != nil && !bytes.Contains(out, []byte(": ")) {
		t.Fatalf("lintian: %v", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "E: ") {
			t.Errorf("lintian error: %s", l)
		}
	}
}

// TestRPMPayloadRelative lists the rpm payload the way rpm2cpio users
// unpack it: every member name is relative ("./usr/bin/echod"), so that
// "rpm2cpio X.rpm | cpio -id" (which rpmlint runs) writes under the current
// directory and never into the host's root.
func TestRPMPayloadRelative(t *testing.T) {
	need(t, "rpm2cpio", "cpio")
	bin, _ := goBinaries(t)
	p := build(t, echodSpec(t, bin), packaging.Options{Formats: []packaging.Format{packaging.RPM}})[packaging.RPM]
	list := exec.Command("sh", "-c", `rpm2cpio "$1" | cpio -t --quiet`, "sh", p)
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("rpm2cpio | cpio -t: %v\n%s", err, out)
	}
	names := strings.Fields(string(out))
	if !slices.Contains(names, "./usr/bin/echod") {
		t.Errorf("payload lacks ./usr/bin/echod:\n%s", out)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "./") {
			t.Errorf("payload member %q is not relative", n)
		}
	}
	// rpm itself places the files by the header, at their absolute paths.
	if os.Geteuid() != 0 {
		t.Skip("installing into an rpm --root needs root")
	}
	need(t, "rpm")
	root := t.TempDir()
	run(t, "rpm", "--root", root, "--initdb")
	run(t, "rpm", "--root", root, "-i", "--nodeps", "--noscripts", "--nosignature", p)
	for _, f := range []string{"usr/bin/echod", "usr/lib/systemd/system/echod.service", "etc/rc.d/init.d/echod", "etc/default/echod"} {
		if fi, err := os.Stat(filepath.Join(root, f)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("rpm --root %s -i: %s not installed: %v", root, f, err)
		}
	}
}

// TestRPMLint is the rpm quality gate, rpmlint run as it is (it unpacks the
// payload with "rpm2cpio | cpio -id" in its own temporary directory). For
// the PIE, dynamically linked build that `make build` makes (the way Fedora
// builds Go), the only error allowed is the missing signature, and a signed
// package has no error at all; for a CGO_ENABLED=0 build, also
// statically-linked-binary, which is inherent and which rpm has no override
// file for.
func TestRPMLint(t *testing.T) {
	need(t, "rpmlint", "rpm2cpio", "cpio")
	static, _ := goBinaries(t)
	// rpmlint checks the signature with "rpm -Kv" against the rpm database:
	// a temporary HOME's .rpmmacros points rpm at a database of its own
	// holding the test key, the host's is neither read nor changed.
	key, pub := testKey(t)
	home := t.TempDir()
	db := filepath.Join(home, "rpmdb")
	if err := os.WriteFile(filepath.Join(home, ".rpmmacros"), []byte("%_dbpath "+db+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "rpm", "--dbpath", db, "--import", pub)
	type variant struct {
		name     string
		bin      string
		signer   *packaging.Signer
		accepted map[string]bool
	}
	variants := []variant{{"static", static, nil, map[string]bool{"no-signature": true, "statically-linked-binary": true}}}
	if _, err := exec.LookPath("gcc"); err == nil {
		pie := filepath.Join(t.TempDir(), "echod")
		cmd := exec.Command("go", "build", "-trimpath", "-buildmode=pie",
			"-ldflags=-s -w -linkmode=external -extldflags=-Wl,-z,relro,-z,now", "-o", pie, "../cmd/echod")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("PIE build: %v\n%s", err, out)
		}
		variants = append(variants,
			variant{"pie", pie, nil, map[string]bool{"no-signature": true}},
			variant{"pie-signed", pie, &packaging.Signer{KeyFile: key}, map[string]bool{}})
	} else {
		t.Log("gcc is not installed: the PIE variants are not checked")
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := build(t, echodSpec(t, v.bin), packaging.Options{Formats: []packaging.Format{packaging.RPM}, Signer: v.signer})[packaging.RPM]
			cmd := exec.Command("rpmlint", p)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "HOME="+home)
			out, _ := cmd.CombinedOutput()
			t.Logf("rpmlint:\n%s", out)
			if !bytes.Contains(out, []byte("packages and 0 specfiles checked")) {
				t.Fatalf("rpmlint did not run:\n%s", out)
			}
			for _, l := range strings.Split(string(out), "\n") {
				if _, rest, ok := strings.Cut(l, ": E: "); ok {
					tag, _, _ := strings.Cut(rest, " ")
					if !v.accepted[tag] {
						t.Errorf("rpmlint error: %s", l)
					}
				}
			}
		})
	}
}
