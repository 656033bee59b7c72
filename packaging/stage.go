package packaging

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2/files"

	"github.com/daemonctl/daemonctl/spec"
)

// Where the generated files go on the target, per format.
const (
	debUnitDir    = "/lib/systemd/system"
	rpmUnitDir    = "/usr/lib/systemd/system"
	debInitDir    = "/etc/init.d"
	rpmInitDir    = "/etc/rc.d/init.d" // Fedora/RHEL; /etc/init.d is a symlink to it there
	sysusersDir   = "/usr/lib/sysusers.d"
	docDir        = "/usr/share/doc"
	licenseDir    = "/usr/share/licenses"
	overridesDir  = "/usr/share/lintian/overrides"
	accountHome   = "/nonexistent"
	stripProgram  = "strip"
	stagedDirMode = 0o755
)

// item is one file of a package: a path on the build machine, where it
// goes, its mode and whether it is a configuration file.
type item struct {
	src, dst string
	mode     fs.FileMode
	config   bool
	size     int64
	typ      string // nfpm content type overriding file/config, e.g. files.TypeRPMLicense
	gen      string // what the package generates here, e.g. "the systemd unit"; "" for package.files
	owner    string // "" means root
	group    string // "" means root
	dir      bool   // an (empty) directory: package.directories
}

// scriptSet holds the paths of the staged maintainer scripts of one format.
type scriptSet struct{ pre, post, preun, postun string }

// needsPreinst reports whether a shipped file or directory belongs to an
// account the package creates: dpkg needs it before unpacking.
func (st *staged) needsPreinst() bool {
	for _, it := range st.common {
		if it.owner != "" || it.group != "" {
			return true
		}
	}
	return false
}

// staged is everything a package is built from, written to a temporary
// directory (nfpm reads contents and scripts from files).
type staged struct {
	spec     *spec.Spec
	opts     Options
	dir      string
	mtime    time.Time
	needLibc bool
	common   []item            // the same in every format
	perFmt   map[Format][]item // format-specific files
	scripts  map[Format]scriptSet
	// rpmChangelog is the staged changelog in nfpm's YAML form (rpm only:
	// the deb carries changelog.Debian.gz as a file).
	rpmChangelog string
}

func (st *staged) cleanup() { _ = os.RemoveAll(st.dir) }

// stage renders every generated file and checks the user's files.
func (b *Builder) stage(ctx context.Context, s *spec.Spec, opts Options) (_ *staged, err error) {
	mtime, err := modTime(s, opts)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "daemonctl-pkg-")
	if err != nil {
		return nil, fmt.Errorf("packaging: %w", err)
	}
	st := &staged{spec: s, opts: opts, dir: dir, mtime: mtime,
		perFmt: map[Format][]item{}, scripts: map[Format]scriptSet{}}
	defer func() {
		if err != nil {
			st.cleanup()
		}
	}()
	var static []string
	for i, f := range s.Package.Files {
		it, bin, err := st.userFile(ctx, i, f)
		if err != nil {
			return nil, err
		}
		if bin.ELF && bin.Static {
			static = append(static, strings.TrimPrefix(f.Dst, "/"))
		}
		st.needLibc = st.needLibc || bin.NeedLibc
		st.common = append(st.common, it)
	}
	shipped := func(dst string) bool {
		return slices.ContainsFunc(s.Package.Files, func(f spec.File) bool { return f.Dst == dst })
	}
	envFiles := environmentFiles(s)
	for i, c := range s.Package.Conffiles {
		if !shipped(c) && !slices.ContainsFunc(envFiles, func(e envFile) bool { return e.Path == c }) {
			return nil, spec.Errors{s.FieldError(fmt.Sprintf("package.conffiles[%d]", i),
				fmt.Sprintf("%q is not a file the package ships (list it in package.files)", c))}
		}
	}

	services, initPath, err := st.serviceFiles(b)
	if err != nil {
		return nil, err
	}

	doc := st.docData(static, initPath[Deb])
	// The environment file is the one generated file a spec may supply
	// itself (a conffile with the administrator's settings).
	for _, e := range envFiles {
		if shipped(e.Path) {
			continue
		}
		if err := st.generate("pkg-defaults.tmpl", b, e, e.Path, 0o644, true, Deb, RPM); err != nil {
			return nil, err
		}
	}
	docs := path.Join(docDir, s.Name)
	if err := st.generate("pkg-copyright.tmpl", b, doc, path.Join(docs, "copyright"), 0o644, false, Deb); err != nil {
		return nil, err
	}
	if err := st.generate("pkg-copyright.tmpl", b, doc, path.Join(licenseDir, s.Name, "copyright"), 0o644, false, RPM); err != nil {
		return nil, err
	}
	rpmLicense := &st.perFmt[RPM][len(st.perFmt[RPM])-1]
	rpmLicense.typ = files.TypeRPMLicense
	if err := st.changelog(b, doc, path.Join(docs, "changelog.Debian.gz")); err != nil {
		return nil, err
	}
	rpmLog, err := b.render("pkg-rpm-changelog.tmpl", doc)
	if err != nil {
		return nil, err
	}
	if st.rpmChangelog, err = st.write("rpm-changelog.yaml", rpmLog); err != nil {
		return nil, err
	}
	if len(static) > 0 {
		if err := st.generate("pkg-lintian-overrides.tmpl", b, doc, path.Join(overridesDir, s.Name), 0o644, false, Deb); err != nil {
			return nil, err
		}
	}
	sysusersPath := ""
	var sysusers []byte
	if len(doc.Accounts) > 0 {
		sysusersPath = path.Join(sysusersDir, s.Name+".conf")
		if sysusers, err = b.render("pkg-sysusers.tmpl", doc); err != nil {
			return nil, err
		}
		src, err := st.write("sysusers.conf", sysusers)
		if err != nil {
			return nil, err
		}
		st.common = append(st.common, item{src: src, dst: sysusersPath, mode: 0o644, size: int64(len(sysusers)), gen: "the sysusers file"})
	}

	for _, d := range s.Package.Directories {
		st.common = append(st.common, item{dst: d.Path, mode: spec.UnixMode(d.Mode), dir: true,
			owner: account(d.Owner), group: fileGroup(d.Owner, d.Group)})
	}
	if err := st.logrotate(b, services); err != nil {
		return nil, err
	}
	purge, err := purgeFor(s)
	if err != nil {
		return nil, err
	}

	if err := st.checkPaths(); err != nil {
		return nil, err
	}
	for _, f := range []Format{Deb, RPM} {
		d := b.scriptData(s, f, services[f], sysusersPath, string(sysusers), "")
		d.Purge = purge
		set, err := st.writeScripts(b, f, d)
		if err != nil {
			return nil, err
		}
		st.scripts[f] = set
	}
	return st, nil
}

// serviceFiles stages the units of every service and the init script of
// every non-template one, and returns the non-template services per format
// with the first service's init script path per format.
func (st *staged) serviceFiles(b *Builder) (map[Format][]serviceData, map[Format]string, error) {
	services := map[Format][]serviceData{}
	initPath := map[Format]string{}
	for i, svc := range st.spec.All() {
		// The generators get one service at a time: a generator that
		// renders every service of s.All() gives the top one's files only.
		one := *svc
		one.Extra = nil
		svc = &one
		units, err := b.gen.Systemd.Files(svc)
		if err != nil {
			return nil, nil, fmt.Errorf("packaging: systemd unit: %w", err)
		}
		var unitNames []string
		for _, u := range units {
			unitNames = append(unitNames, u.Name)
			src, err := st.write("unit-"+u.Name, u.Data)
			if err != nil {
				return nil, nil, err
			}
			for f, d := range map[Format]string{Deb: debUnitDir, RPM: rpmUnitDir} {
				st.perFmt[f] = append(st.perFmt[f], item{src: src, dst: path.Join(d, u.Name), mode: 0o644, size: int64(len(u.Data)), gen: "the systemd unit"})
			}
		}
		// A template service has no init script: its instances exist
		// only under systemd.
		if svc.IsTemplate() {
			continue
		}
		initFiles, err := b.gen.SysV.Files(svc)
		if err != nil {
			return nil, nil, fmt.Errorf("packaging: init script: %w", err)
		}
		scripts := map[Format]string{}
		for _, sc := range initFiles {
			src, err := st.write("init-"+sc.Name, sc.Data)
			if err != nil {
				return nil, nil, err
			}
			for f, d := range map[Format]string{Deb: debInitDir, RPM: rpmInitDir} {
				dst := path.Join(d, sc.Name)
				scripts[f] = dst
				if i == 0 {
					initPath[f] = dst
				}
				// A file in /etc is a conffile on Debian (policy 10.7.2);
				// Fedora does not mark init scripts %config.
				st.perFmt[f] = append(st.perFmt[f], item{src: src, dst: dst, mode: 0o755, config: f == Deb, size: int64(len(sc.Data)), gen: "the init script"})
			}
		}
		for _, f := range Formats() {
			services[f] = append(services[f], serviceData{Name: svc.Name, Units: unitNames, InitScript: scripts[f], RuntimeDir: runtimeDir(svc)})
		}
	}
	return services, initPath, nil
}

// userFile checks one package.files entry and stages a stripped copy of it
// when it is an unstripped ELF file. A src that is a symlink is followed:
// the package holds a regular file with its final target's content (the
// target may be anywhere the builder can read, as src itself may). A src
// that is, or resolves to, anything but a regular file (a directory, FIFO,
// device, socket or a dangling symlink) is a *MissingFileError.
func (st *staged) userFile(ctx context.Context, i int, f spec.File) (item, binaryInfo, error) {
	field := fmt.Sprintf("package.files[%d].src", i)
	src, err := filepath.EvalSymlinks(f.Src)
	var fi fs.FileInfo
	if err == nil {
		fi, err = os.Lstat(src)
	}
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return item{}, binaryInfo{}, fmt.Errorf("packaging: %w", &MissingFileError{Field: field, Path: f.Src, Err: err})
	}
	it := item{src: src, dst: f.Dst, mode: f.Mode.Perm(), size: fi.Size(), owner: account(f.Owner), group: fileGroup(f.Owner, f.Group),
		config: slices.Contains(st.spec.Package.Conffiles, f.Dst) || strings.HasPrefix(f.Dst, "/etc/")}
	bin, err := inspectBinary(src)
	if err != nil {
		return item{}, binaryInfo{}, fmt.Errorf("packaging: %w", &MissingFileError{Field: field, Path: f.Src, Err: err})
	}
	if bin.ELF && bin.Unstrip && !st.opts.NoStrip {
		dst := filepath.Join(st.dir, fmt.Sprintf("stripped-%d", i))
		strip := st.opts.Strip
		if strip == nil {
			strip = runStrip
		}
		switch err := strip(ctx, src, dst); {
		case errors.Is(err, exec.ErrNotFound):
			st.warnf("%s: %s is not stripped and %q is not installed; packaging it as it is", field, f.Src, stripProgram)
		case err != nil:
			return item{}, binaryInfo{}, fmt.Errorf("packaging: strip %s: %w", f.Src, err)
		default:
			sfi, err := os.Stat(dst)
			if err != nil {
				return item{}, binaryInfo{}, fmt.Errorf("packaging: strip %s: %w", f.Src, err)
			}
			it.src, it.size = dst, sfi.Size()
			bin.Unstrip = false
		}
	}
	return it, bin, nil
}

// runStrip is the default Options.Strip: binutils' strip, as dh_strip runs it.
func runStrip(ctx context.Context, src, dst string) error {
	prog, err := exec.LookPath(stripProgram)
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, prog, "--strip-unneeded", "--remove-section=.comment", "-o", dst, src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (st *staged) warnf(format string, args ...any) {
	if st.opts.Warn != nil {
		fmt.Fprintf(st.opts.Warn, "daemonctl: warning: "+format+"\n", args...)
	}
}

// write stores data under name in the staging directory.
func (st *staged) write(name string, data []byte) (string, error) {
	p := filepath.Join(st.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("packaging: stage %s: %w", name, err)
	}
	return p, nil
}

// generated names what each template given to generate renders.
var generated = map[string]string{
	"pkg-defaults.tmpl":          "the environment file",
	"pkg-copyright.tmpl":         "the copyright file",
	"pkg-lintian-overrides.tmpl": "the lintian overrides",
}

// generate renders a template to a staged file shipped at dst in the given formats.
func (st *staged) generate(tmpl string, b *Builder, data any, dst string, mode fs.FileMode, config bool, formats ...Format) error {
	text, err := b.render(tmpl, data)
	if err != nil {
		return err
	}
	src, err := st.write(strings.TrimSuffix(tmpl, ".tmpl")+strings.ReplaceAll(dst, "/", "_"), text)
	if err != nil {
		return err
	}
	for _, f := range formats {
		st.perFmt[f] = append(st.perFmt[f], item{src: src, dst: dst, mode: mode, config: config, size: int64(len(text)), gen: generated[tmpl]})
	}
	return nil
}

// changelog ships the Debian changelog compressed as gzip -9n would: no
// name, no timestamp, so that builds are reproducible.
func (st *staged) changelog(b *Builder, data any, dst string) error {
	text, err := b.render("pkg-changelog.tmpl", data)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("packaging: changelog: %w", err)
	}
	if _, err := zw.Write(text); err != nil {
		return fmt.Errorf("packaging: changelog: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("packaging: changelog: %w", err)
	}
	src, err := st.write("changelog.Debian.gz", buf.Bytes())
	if err != nil {
		return err
	}
	st.perFmt[Deb] = append(st.perFmt[Deb], item{src: src, dst: dst, mode: 0o644, size: int64(buf.Len()), gen: "the changelog"})
	return nil
}

// writeScripts renders and stages the four maintainer scripts of format f.
func (st *staged) writeScripts(b *Builder, f Format, d scriptData) (scriptSet, error) {
	debPre := ""
	if st.needsPreinst() && len(d.Accounts) > 0 {
		debPre = "pkg-deb-preinst.tmpl"
	}
	names := map[Format][4]string{
		Deb: {debPre, "pkg-deb-postinst.tmpl", "pkg-deb-prerm.tmpl", "pkg-deb-postrm.tmpl"},
		RPM: {"pkg-rpm-pre.tmpl", "pkg-rpm-post.tmpl", "pkg-rpm-preun.tmpl", "pkg-rpm-postun.tmpl"},
	}[f]
	var paths [4]string
	for i, n := range names {
		if n == "" {
			continue
		}
		text, err := b.script(n, d)
		if err != nil {
			return scriptSet{}, err
		}
		if paths[i], err = st.write(strings.TrimSuffix(n, ".tmpl"), text); err != nil {
			return scriptSet{}, err
		}
	}
	return scriptSet{pre: paths[0], post: paths[1], preun: paths[2], postun: paths[3]}, nil
}

// contents lists the nfpm contents of format f, sorted by destination.
func (st *staged) contents(f Format) files.Contents {
	all := append(slices.Clone(st.common), st.perFmt[f]...)
	slices.SortFunc(all, func(a, b item) int { return strings.Compare(a.dst, b.dst) })
	out := make(files.Contents, 0, len(all))
	for _, it := range all {
		typ := files.TypeFile
		switch {
		case it.dir:
			typ = files.TypeDir
		case it.typ != "":
			typ = it.typ
		case it.config:
			typ = files.TypeConfigNoReplace
		}
		out = append(out, &files.Content{
			Source:      it.src,
			Destination: it.dst,
			Type:        typ,
			FileInfo: &files.ContentFileInfo{
				Owner: cmpOr(it.owner, "root"), Group: cmpOr(it.group, "root"),
				Mode: it.mode, MTime: st.mtime, Size: it.size,
			},
		})
	}
	return out
}

// checkPaths refuses a package file, or a generated environment file, at a
// path where the package generates another file in either format, at a
// directory holding one, or below one: nfpm would either refuse the
// collision or, for a directory, build a package that cannot be installed.
// The errors are spec errors on package.files[i].dst or environment_file.
func (st *staged) checkPaths() error {
	type claim struct{ field, dst, gen string }
	var claims []claim
	for i, f := range st.spec.Package.Files {
		claims = append(claims, claim{fmt.Sprintf("package.files[%d].dst", i), f.Dst, ""})
	}
	envGen := generated["pkg-defaults.tmpl"]
	for _, e := range environmentFiles(st.spec) {
		if !slices.ContainsFunc(claims, func(c claim) bool { return c.dst == e.Path }) {
			claims = append(claims, claim{e.Field, e.Path, envGen})
		}
	}
	var errs spec.Errors
	for _, c := range claims {
	formats:
		for _, fm := range Formats() {
			for _, g := range append(slices.Clone(st.common), st.perFmt[fm]...) {
				var why string
				switch {
				case g.gen == "" || (g.gen == c.gen && g.dst == c.dst):
				case g.dst == c.dst:
					why = fmt.Sprintf("is %s the %s package generates; a package file cannot replace it", g.gen, fm)
				case strings.HasPrefix(g.dst, c.dst+"/"):
					why = fmt.Sprintf("is a directory holding %s the %s package generates (%s); it cannot be a file", g.gen, fm, g.dst)
				case strings.HasPrefix(c.dst, g.dst+"/"):
					why = fmt.Sprintf("is below %s the %s package generates (%s), which is a file", g.gen, fm, g.dst)
				}
				if why != "" {
					errs = append(errs, st.spec.FieldError(c.field, fmt.Sprintf("%q %s", c.dst, why)))
					break formats
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// fileGroup is the group of a shipped file or directory: Group, else
// Owner's (the account's own group), "" (root) for root.
func fileGroup(owner, group string) string {
	if group != "" {
		return account(group)
	}
	return account(owner)
}

// account returns name unless it is empty or root, which need no account.
func account(name string) string {
	if name == "root" {
		return ""
	}
	return name
}
