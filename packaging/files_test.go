package packaging_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
)

// extraFile is one package.files entry appended to the echod spec.
type extraFile struct{ src, dst, extra string }

// echodSpecWith is echodSpec with more package.files entries (and extra
// top-level YAML), validated by spec.Load as daemonctl package does.
func echodSpecWith(t *testing.T, bin, top string, files ...extraFile) (*spec.Spec, error) {
	t.Helper()
	data, err := os.ReadFile("../examples/echod/daemon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := top + strings.Replace(string(data), "../../build/echod", bin, 1)
	for _, f := range files {
		text += "    - src: " + f.src + "\n      dst: " + f.dst + "\n" + f.extra
	}
	p := filepath.Join(t.TempDir(), "daemon.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec.Load(p)
}

// rpmFiles lists the rpm's files as "path mode linkto" lines.
func rpmFiles(t *testing.T, rpm string) string {
	t.Helper()
	return run(t, "rpm", "-qp", "--nosignature", "--qf", "[%{FILENAMES} %{FILEMODES:perms} %{FILELINKTOS}\n]", rpm)
}

// TestSourceSymlinkFollowed: a src that is a symlink (here a relative one,
// as a build tree has) ships its target's content as a regular file, in
// both formats; before, the package held the symlink itself, dangling on
// the target.
func TestSourceSymlinkFollowed(t *testing.T) {
	need(t, "dpkg-deb", "rpm")
	bin, _ := goBinaries(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "real", "app.conf"), []byte("port = 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "app.conf")
	if err := os.Symlink("real/app.conf", link); err != nil {
		t.Fatal(err)
	}
	s, err := echodSpecWith(t, bin, "", extraFile{link, "/etc/echod/app.conf", ""})
	if err != nil {
		t.Fatal(err)
	}
	out := build(t, s, packaging.Options{})
	data := t.TempDir()
	run(t, "dpkg-deb", "--extract", out[packaging.Deb], data)
	fi, err := os.Lstat(filepath.Join(data, "etc/echod/app.conf"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("deb: etc/echod/app.conf is %v (%v), want a regular file", fi.Mode(), err)
	}
	checkFile(t, data, "etc/echod/app.conf", "port = 7")
	if list := rpmFiles(t, out[packaging.RPM]); !strings.Contains(list, "/etc/echod/app.conf -rw-r--r-- \n") {
		t.Errorf("rpm: /etc/echod/app.conf is not a regular file:\n%s", list)
	}
}

// TestSourceKinds: small and empty files package (the ELF check used to fail
// on them with EOF); a dangling symlink, a directory and a FIFO are refused
// as package.files[1].src.
func TestSourceKinds(t *testing.T) {
	bin, _ := goBinaries(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ name, content string }{
		{"empty", ""}, {"short", "x=1\n"}, {"fifteen", "123456789012345"}, {"elf-magic", "\x7fELF\x02\x01\x01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := echodSpecWith(t, bin, "", extraFile{write(c.name, c.content), "/usr/share/echod/" + c.name, ""})
			if err != nil {
				t.Fatal(err)
			}
			build(t, s, packaging.Options{})
		})
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("nothere", dangling); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, src string
		want      error
	}{{"dangling symlink", dangling, os.ErrNotExist}, {"directory", sub, nil}, {"fifo", fifo, nil}} {
		t.Run(c.name, func(t *testing.T) {
			s, err := echodSpecWith(t, bin, "", extraFile{c.src, "/usr/share/echod/x", ""})
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			_, err = builder(t).Build(context.Background(), s, packaging.Options{Dir: out, ModTime: fixedTime})
			var mf *packaging.MissingFileError
			if !errors.As(err, &mf) || mf.Field != "package.files[1].src" {
				t.Fatalf("got %v, want a MissingFileError for package.files[1].src", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
			assertEmpty(t, out)
		})
	}
}

// TestGeneratedPathsRefused: a package file may not take a path the package
// generates (unit, socket, copyright, changelog, lintian overrides, or a
// directory holding one of them), in either format: the error is a spec
// error on package.files[1].dst and nothing is written. The environment
// file is the one generated file a spec may supply itself.
func TestGeneratedPathsRefused(t *testing.T) {
	bin, _ := goBinaries(t)
	src := filepath.Join(t.TempDir(), "mine")
	if err := os.WriteFile(src, []byte("ECHOD_GREETING=mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{
		"/lib/systemd/system/echod.service", "/usr/lib/systemd/system/echod.service",
		"/lib/systemd/system/echod.socket", "/usr/lib/systemd/system/echod.socket",
		"/usr/share/doc/echod/copyright", "/usr/share/doc/echod/changelog.Debian.gz",
		"/usr/share/licenses/echod/copyright", "/usr/share/lintian/overrides/echod",
		"/usr/share/doc/echod", "/usr/share/licenses/echod", "/etc/default/echod/extra",
	} {
		t.Run(dst, func(t *testing.T) {
			s, err := echodSpecWith(t, bin, "listen: [\"tcp:127.0.0.1:7007\"]\n", extraFile{src, dst, ""})
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			_, err = builder(t).Build(context.Background(), s, packaging.Options{Dir: out, ModTime: fixedTime})
			var se spec.Errors
			if !errors.As(err, &se) || se[0].Field != "package.files[1].dst" || !strings.Contains(se[0].Reason, "package generates") {
				t.Fatalf("got %v, want a spec error on package.files[1].dst saying the package generates that path", err)
			}
			assertEmpty(t, out)
		})
	}
	for _, env := range []string{"/usr/share/doc/echod/copyright", "/usr/lib/systemd/system/echod.service", "/usr/share/doc/echod"} {
		t.Run("environment_file "+env, func(t *testing.T) {
			s, err := echodSpecWith(t, bin, "environment_file: "+env+"\n")
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			_, err = builder(t).Build(context.Background(), s, packaging.Options{Dir: out, ModTime: fixedTime})
			var se spec.Errors
			if !errors.As(err, &se) || se[0].Field != "environment_file" || !strings.Contains(se[0].Reason, "package generates") {
				t.Fatalf("got %v, want a spec error on environment_file saying the package generates that path", err)
			}
			assertEmpty(t, out)
		})
	}
	t.Run("environment file", func(t *testing.T) {
		need(t, "dpkg-deb")
		s, err := echodSpecWith(t, bin, "", extraFile{src, "/etc/default/echod", ""})
		if err != nil {
			t.Fatal(err)
		}
		deb := build(t, s, packaging.Options{Formats: []packaging.Format{packaging.Deb}})[packaging.Deb]
		data := t.TempDir()
		run(t, "dpkg-deb", "--extract", deb, data)
		checkFile(t, data, "etc/default/echod", "ECHOD_GREETING=mine")
	})
}
