package packaging

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// logrotateDir is where logrotate reads its per-package configuration.
const logrotateDir = "/etc/logrotate.d"

// logrotateData feeds pkg-logrotate.tmpl: one service's rotation.
type logrotateData struct {
	Package    string
	Name       string   // service name
	Unit       string   // "NAME.service", or "NAME@*.service" for a template (every running instance)
	InitScript string   // the init script on the target; "" for a template
	Files      []string // patterns, as logrotate globs them
	Frequency  string
	Rotate     int
	Compress   bool
	Reload     bool   // method reload: create + postrotate reload
	Mode       string // mode of the new file, "0640"
	User       string // owner of the new file
	Group      string // its group
	Su         bool   // the log directory is the account's: rotate as it
	// Root prefixes the file tests and paths of postrotate; "" in
	// packages, a temporary tree in tests.
	Root string
}

// logrotateFor returns the logrotate data of svc for format f (the init
// script's path differs), or nil when svc has no LogRotate.
func logrotateFor(s, svc *spec.Spec, initScript string) *logrotateData {
	lr := svc.LogRotate
	if lr == nil {
		return nil
	}
	user, group := cmpOr(account(svc.User), "root"), cmpOr(account(svc.Group), "")
	if group == "" {
		group = cmpOr(account(svc.User), "root")
	}
	d := &logrotateData{Package: s.Name, Name: svc.Name, Unit: svc.Name + ".service", InitScript: initScript,
		Frequency: lr.Frequency, Rotate: lr.Rotate, Compress: lr.Compress,
		Reload: lr.Method == spec.RotateReload, Mode: fmt.Sprintf("%04o", uint32(lr.Mode.Perm())),
		User: user, Group: group}
	if svc.IsTemplate() {
		d.Unit, d.InitScript = svc.Name+"*.service", ""
	}
	for _, f := range lr.Files {
		d.Files = append(d.Files, f) // spec paths hold no space or quote: logrotate and rpmlint read them bare
		if user != "root" && accountOwns(s, svc, path.Dir(f)) {
			d.Su = true
		}
	}
	return d
}

// accountOwns reports whether dir belongs to svc's account: one of its
// logs (or other) directories, or a package directory owned by its user.
func accountOwns(s, svc *spec.Spec, dir string) bool {
	if slices.ContainsFunc(svc.Directories, func(d spec.Directory) bool {
		return d.Kind != spec.DirConfiguration && d.Path() == dir
	}) {
		return true
	}
	return slices.ContainsFunc(s.Package.Directories, func(d spec.PackageDir) bool {
		return d.Path == dir && d.Owner != "" && d.Owner == svc.User
	})
}

// logrotate stages /etc/logrotate.d/NAME (a conffile) for every service
// with a LogRotate, per format. The rpm also owns the declared logs
// directories that hold the rotated files, as Fedora packages do
// (rpmlint: logrotate-log-dir-not-packaged), with the service's account
// and the directory's mode; systemd and the init script create them
// alike on Debian.
func (st *staged) logrotate(b *Builder, services map[Format][]serviceData) error {
	for _, svc := range st.spec.All() {
		if svc.LogRotate == nil {
			continue
		}
		for _, d := range svc.Directories {
			p := d.Path()
			if d.Kind != spec.DirLogs || svc.IsTemplate() || strings.Contains(p, "%") ||
				!slices.ContainsFunc(svc.LogRotate.Files, func(f string) bool { return path.Dir(f) == p }) ||
				slices.ContainsFunc(append(slices.Clone(st.common), st.perFmt[RPM]...), func(it item) bool { return it.dst == p }) {
				continue
			}
			st.perFmt[RPM] = append(st.perFmt[RPM], item{dst: p, mode: spec.UnixMode(d.Mode), dir: true,
				owner: account(svc.User), group: fileGroup(svc.User, svc.Group)})
		}
		for _, f := range Formats() {
			init := ""
			for _, sd := range services[f] {
				if sd.Name == svc.Name {
					init = sd.InitScript
				}
			}
			d := logrotateFor(st.spec, svc, init)
			text, err := b.render("pkg-logrotate.tmpl", d)
			if err != nil {
				return err
			}
			name := strings.TrimSuffix(svc.Name, "@")
			if svc.IsTemplate() {
				name += "-instances"
			}
			src, err := st.write(fmt.Sprintf("logrotate-%s-%s", f, name), text)
			if err != nil {
				return err
			}
			st.perFmt[f] = append(st.perFmt[f], item{src: src, dst: path.Join(logrotateDir, name), mode: 0o644,
				config: true, size: int64(len(text)), gen: "the logrotate configuration"})
		}
	}
	return nil
}
