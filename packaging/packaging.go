package packaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/templates"
)

// Format is a package format.
type Format string

// The formats Builder writes.
const (
	Deb Format = "deb" // Debian binary package, read by dpkg
	RPM Format = "rpm" // RPM binary package, read by rpm
)

// Formats returns every format, in the order Build writes them.
func Formats() []Format { return []Format{Deb, RPM} }

// ErrUnknownFormat is returned (wrapped) by ParseFormat and Build for a
// format name other than deb, rpm and all.
var ErrUnknownFormat = errors.New("unknown package format")

// ParseFormat turns a --format value into formats: "deb", "rpm", or "all"
// (both). Other names wrap ErrUnknownFormat.
func ParseFormat(name string) ([]Format, error) {
	switch name {
	case "all":
		return Formats(), nil
	case string(Deb), string(RPM):
		return []Format{Format(name)}, nil
	default:
		return nil, fmt.Errorf("packaging: %w %q (want deb, rpm or all)", ErrUnknownFormat, name)
	}
}

// DefaultModTime returns the timestamp of every file in a package when
// neither Options.ModTime, SOURCE_DATE_EPOCH nor a spec file gives one:
// 2024-01-01 00:00:00 UTC.
func DefaultModTime() time.Time { return time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC) }

// Generator renders the files of one init system for a spec;
// *systemd.Generator and *sysv.Generator implement it.
type Generator interface {
	Files(s *spec.Spec) ([]atomicfile.File, error)
}

// Generators are what a Builder packages besides the user's files.
type Generators struct {
	// Systemd renders "<name>.service" (and "<name>.socket"); required.
	Systemd Generator
	// SysV renders the LSB init script "<name>"; required.
	SysV Generator
}

// Builder turns a spec into .deb and .rpm packages. It holds parsed
// templates and is safe for concurrent use.
type Builder struct {
	gen  Generators
	tmpl *template.Template
}

// New parses the packaging templates once. It fails when a generator is
// nil or a template does not parse.
func New(gen Generators) (*Builder, error) {
	if gen.Systemd == nil || gen.SysV == nil {
		return nil, errors.New("packaging: both a systemd and a sysv generator are required")
	}
	funcs := sprig.TxtFuncMap()
	funcs["shquote"] = shellQuote
	funcs["shglob"] = shellGlob
	funcs["dquote"] = envQuote
	funcs["comment"] = commentLines
	t, err := template.New("pkg").Funcs(funcs).Option("missingkey=error").ParseFS(templates.FS, "pkg-*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("packaging: parse templates: %w", err)
	}
	return &Builder{gen: gen, tmpl: t}, nil
}

// Options control Build. The zero value builds both formats into the
// current directory, stripping unstripped ELF binaries.
type Options struct {
	// Dir is the output directory, created when missing; "" means ".".
	Dir string
	// Formats to build; nil or empty means Formats().
	Formats []Format
	// ModTime is the timestamp of every file and of the package headers.
	// Zero means SOURCE_DATE_EPOCH (through Getenv) when set, else the
	// modification time of the spec file (s.Source), else DefaultModTime.
	ModTime time.Time
	// Getenv looks up environment variables; nil means os.Getenv.
	Getenv func(string) string
	// NoStrip ships ELF files as they are. By default an ELF file with a
	// symbol table or debug sections is packaged stripped (the source file
	// is not touched), as dh_strip does.
	NoStrip bool
	// Strip writes a stripped copy of the ELF file src to dst; nil means
	// running "strip --strip-unneeded --remove-section=.comment" from PATH.
	Strip func(ctx context.Context, src, dst string) error
	// Signer signs the packages; nil means unsigned.
	Signer *Signer
	// Warn receives one line per non-fatal problem (e.g. no strip program);
	// nil discards them.
	Warn io.Writer
}

// Signer is an OpenPGP key the packages are signed with: an rpm header
// signature, and a debsign-style _gpgorigin member in the .deb.
type Signer struct {
	KeyFile    string // armored or binary private key; required
	KeyID      string // hex key ID; "" means the key's own
	Passphrase string // "" for an unencrypted key
}

// Artifact is one package written by Build.
type Artifact struct {
	Format Format
	Path   string // Dir joined with FileName
	Size   int64  // bytes
}

// MissingFileError is returned (wrapped) when a package.files source cannot
// be read. Field names the spec field, e.g. "package.files[0].src".
type MissingFileError struct {
	Field string
	Path  string
	Err   error
}

func (e *MissingFileError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Field, e.Path, e.Err)
}

func (e *MissingFileError) Unwrap() error { return e.Err }

// FileName returns the conventional file name of the package of s in
// format f: "<name>_<version>-<release>_<arch>.deb" or
// "<name>-<version>-<release>.<rpmarch>.rpm". It fails with
// ErrUnknownFormat for other formats.
func FileName(s *spec.Spec, f Format) (string, error) {
	p := s.Package
	switch f {
	case Deb:
		return fmt.Sprintf("%s_%s-%s_%s.deb", s.Name, p.Version, p.Release, p.Arch), nil
	case RPM:
		return fmt.Sprintf("%s-%s-%s.%s.rpm", s.Name, p.Version, p.Release, RPMArch(p.Arch)), nil
	default:
		return "", fmt.Errorf("packaging: %w %q", ErrUnknownFormat, f)
	}
}

// Build writes one package per format into opts.Dir and returns them in
// format order. s must carry a version (the spec.CheckPackage error, a
// spec.Errors, comes back otherwise). Every package is built in memory and
// the set is renamed into place only when all succeeded: on any error the
// output directory holds no new or partial file. Errors wrap
// *MissingFileError for unreadable package.files, ErrUnknownFormat, the
// generators' errors and ctx.Err().
func (b *Builder) Build(ctx context.Context, s *spec.Spec, opts Options) ([]Artifact, error) {
	formats := opts.Formats
	if len(formats) == 0 {
		formats = Formats()
	}
	for _, f := range formats {
		if _, err := FileName(s, f); err != nil {
			return nil, err
		}
	}
	if err := s.CheckPackage(); err != nil {
		return nil, err
	}
	st, err := b.stage(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	defer st.cleanup()
	out := make([]atomicfile.File, 0, len(formats))
	arts := make([]Artifact, 0, len(formats))
	dir := cmpOr(opts.Dir, ".")
	for _, f := range formats {
		var buf bytes.Buffer
		if err := st.pack(ctx, f, &buf); err != nil {
			return nil, err
		}
		name, _ := FileName(s, f)
		out = append(out, atomicfile.File{Name: name, Mode: 0o644, Data: buf.Bytes()})
		arts = append(arts, Artifact{Format: f, Path: filepath.Join(dir, name), Size: int64(buf.Len())})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("packaging: %w", err)
	}
	if err := atomicfile.WriteAll(dir, out); err != nil {
		return nil, fmt.Errorf("packaging: %w", err)
	}
	return arts, nil
}

// Package writes the package of s in format f to w, with the same contents
// Build would write to a file. Errors are those of Build; on error w may
// have received part of a package.
func (b *Builder) Package(ctx context.Context, s *spec.Spec, f Format, w io.Writer, opts Options) error {
	if _, err := FileName(s, f); err != nil {
		return err
	}
	if err := s.CheckPackage(); err != nil {
		return err
	}
	st, err := b.stage(ctx, s, opts)
	if err != nil {
		return err
	}
	defer st.cleanup()
	return st.pack(ctx, f, w)
}

// modTime decides the timestamp of the package's files; see Options.ModTime.
func modTime(s *spec.Spec, opts Options) (time.Time, error) {
	if !opts.ModTime.IsZero() {
		return opts.ModTime.UTC(), nil
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv("SOURCE_DATE_EPOCH"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, fmt.Errorf("packaging: SOURCE_DATE_EPOCH=%q is not a number of seconds", v)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if s.Source != "" {
		if fi, err := os.Stat(s.Source); err == nil {
			return fi.ModTime().UTC().Truncate(time.Second), nil
		}
	}
	return DefaultModTime(), nil
}

// capitalize upper-cases the first letter, as rpm summaries are written.
func capitalize(t string) string {
	r, n := utf8.DecodeRuneInString(t)
	return string(unicode.ToUpper(r)) + t[n:]
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// rpmRelation rewrites a Debian package relation for rpm:
// "a (>= 1)" becomes "a >= 1", "<<" and ">>" become "<" and ">", an
// architecture qualifier is dropped, and alternatives become a rich
// dependency "(a or b)".
func rpmRelation(rel string) string {
	alts := strings.Split(rel, "|")
	for i, a := range alts {
		name, ver, _ := strings.Cut(strings.TrimSpace(a), "(")
		name, _, _ = strings.Cut(strings.TrimSpace(name), ":")
		ver = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(ver), ")"))
		for _, op := range []struct{ deb, rpm string }{
			{"<<", "<"}, {"<=", "<="}, {">=", ">="}, {">>", ">"}, {"=", "="}, {"<", "<="}, {">", ">="},
		} {
			if v, ok := strings.CutPrefix(ver, op.deb); ok {
				name += " " + op.rpm + " " + strings.TrimSpace(v)
				break
			}
		}
		alts[i] = name
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " or ") + ")"
}

// depends returns the Depends list for a format, adding the C library for
// dynamically linked programs when the spec does not name it.
func depends(p spec.Package, f Format, needLibc bool) []string {
	deps := slices.Clone(p.Depends)
	if needLibc && f == Deb && !slices.ContainsFunc(deps, func(d string) bool { return strings.HasPrefix(d, "libc6") }) {
		deps = append(deps, "libc6")
	}
	if f == RPM {
		for i, d := range deps {
			deps[i] = rpmRelation(d)
		}
	}
	return deps
}

// infoFor is the nfpm description of the package in format f.
func (st *staged) infoFor(f Format) *nfpm.Info {
	s := st.spec
	p := s.Package
	info := &nfpm.Info{
		Name:            s.Name,
		Arch:            p.Arch,
		Platform:        "linux",
		Version:         p.Version,
		VersionSchema:   "none",
		Release:         p.Release,
		Section:         "misc",
		Priority:        "optional",
		Maintainer:      p.Maintainer,
		Description:     st.description(),
		Homepage:        p.Homepage,
		License:         cmpOr(p.License, "unspecified"),
		DisableGlobbing: true,
		MTime:           st.mtime,
	}
	info.Umask = 0o022
	info.Depends = depends(p, f, st.needLibc)
	// Fedora packages that ship /etc/logrotate.d files require logrotate
	// (rpmlint: missing-dependency-to-logrotate); Debian ones do not.
	if f == RPM && slices.ContainsFunc(s.All(), func(svc *spec.Spec) bool { return svc.LogRotate != nil }) &&
		!slices.ContainsFunc(info.Depends, func(d string) bool { return strings.HasPrefix(d, "logrotate") }) {
		info.Depends = append(info.Depends, "logrotate")
	}
	info.Contents = st.contents(f)
	sc := st.scripts[f]
	info.Scripts = nfpm.Scripts{PreInstall: sc.pre, PostInstall: sc.post, PreRemove: sc.preun, PostRemove: sc.postun}
	switch f {
	case Deb:
		info.Deb.Arch = p.Arch
		info.Deb.Compression = debCompression
	case RPM:
		info.RPM.Arch = RPMArch(p.Arch)
		info.RPM.BuildHost = "localhost"
		info.RPM.Group = "System Environment/Daemons"
		info.RPM.Summary = capitalize(s.Description)
		info.Changelog = st.rpmChangelog
		info.RPM.Packager = p.Maintainer
		info.RPM.Compression = rpmCompression
	}
	if sg := st.opts.Signer; sg != nil {
		ps := nfpm.PackageSignature{KeyFile: sg.KeyFile, KeyPassphrase: sg.Passphrase}
		if sg.KeyID != "" {
			id := sg.KeyID
			ps.KeyID = &id
		}
		info.Deb.Signature = nfpm.DebSignature{PackageSignature: ps, Method: "debsign", Type: "origin"}
		info.RPM.Signature = nfpm.RPMSignature{PackageSignature: ps}
	}
	return info
}

// Compression of the payloads: what nfpm uses by default (gzip, level 9 for
// both backends), written out so that a change of nfpm's default cannot
// change our packages unnoticed.
const (
	debCompression = "gzip:9"
	rpmCompression = "gzip:9"
)

// description is the package description: the spec's one line, then an
// extended description as Debian policy wants one.
func (st *staged) description() string {
	s := st.spec
	return s.Description + "\n" +
		"This package installs the " + s.Name + " service with a systemd unit and\n" +
		"an LSB init script, so that it runs under systemd or SysV init.\n" +
		"It was built from daemon.yaml by daemonctl."
}

// pack writes the package in format f to w.
func (st *staged) pack(ctx context.Context, f Format, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("packaging: %w", err)
	}
	p, err := nfpm.Get(string(f))
	if err != nil {
		return fmt.Errorf("packaging: %w %q", ErrUnknownFormat, f)
	}
	if err := p.Package(st.infoFor(f), w); err != nil {
		return fmt.Errorf("packaging: build %s of %s: %w", f, st.spec.Name, err)
	}
	return nil
}
