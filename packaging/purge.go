package packaging

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// markerBase holds, per package, one empty file per account the package
// created (user.NAME, group.NAME), so that purge deletes only those.
const markerBase = "/var/lib/daemonctl"

// purgeFor collects what package.purge names. Directories of a template
// service that depend on the instance (%i) are left alone: their names are
// not known. A package.directories path that purge could not safely remove
// is an error on package.purge.
func purgeFor(s *spec.Spec) (purgeData, error) {
	var p purgeData
	want := map[spec.PurgeItem]bool{}
	for _, it := range s.Package.Purge {
		want[it] = true
	}
	kind := map[spec.DirectoryKind]bool{
		spec.DirRuntime: true, spec.DirState: want[spec.PurgeState], spec.DirCache: want[spec.PurgeCache],
		spec.DirLogs: want[spec.PurgeLogs], spec.DirConfiguration: want[spec.PurgeConfig],
	}
	var errs spec.Errors
	add := func(dir, field string) {
		switch {
		case strings.Contains(dir, "%"), slices.Contains(p.Dirs, dir):
		case !spec.PurgeableDir(dir):
			errs = append(errs, s.FieldError(field, fmt.Sprintf("purge would remove %q, which is not a directory of the service's own", dir)))
		default:
			p.Dirs = append(p.Dirs, dir)
		}
	}
	for i, svc := range s.All() {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("services[%d].", i-1)
		}
		for _, d := range svc.Directories {
			if kind[d.Kind] {
				add(d.Path(), prefix+string(d.Kind)+"_directory")
			}
		}
		if want[spec.PurgeLogs] && svc.LogRotate != nil {
			for j, f := range svc.LogRotate.Files {
				dir, base := path.Split(f)
				switch dir = path.Clean(dir); {
				case strings.Contains(f, "%"), slices.Contains(p.Files, f):
				case spec.PurgeableDir(dir) || (dir == "/var/log" && !strings.ContainsAny(base[:1], "*?")):
					p.Files = append(p.Files, f)
				default:
					errs = append(errs, s.FieldError(fmt.Sprintf("%slogrotate.files[%d]", prefix, j),
						fmt.Sprintf("purge would remove %q, which may match other programs' logs", f)))
				}
			}
		}
	}
	if want[spec.PurgeConfig] {
		for i, d := range s.Package.Directories {
			add(d.Path, fmt.Sprintf("package.directories[%d].path", i))
		}
	}
	if len(errs) > 0 {
		return purgeData{}, errs
	}
	if want[spec.PurgeAccount] && len(accounts(s)) > 0 {
		p.Accounts = true
		p.MarkerDir = markerBase + "/" + s.Name + ".accounts"
	}
	return p, nil
}
