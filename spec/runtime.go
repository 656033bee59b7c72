package spec

import (
	"path"
	"strings"
)

// sharedDirs are the directories a pidfile must never be in, with the
// reason. Other users can create and replace files there (a pidfile there
// lets them name the process that stop signals), or they belong to the
// kernel or to systemd, which remove and rebuild them on their own terms.
// The more specific entries come first.
var sharedDirs = []struct{ dir, why string }{
	{"/tmp", "other users can write"},
	{"/var/tmp", "other users can write"},
	{"/dev/shm", "other users can write"},
	{"/dev/mqueue", "other users can write"},
	{"/run/lock", "other users can write"},
	{"/run/shm", "other users can write"},
	{"/run/user", "other users can write"}, // each user's own runtime directory
	{"/dev", "belongs to the system"},
	{"/proc", "belongs to the system"},
	{"/sys", "belongs to the system"},
	{"/run/systemd", "belongs to the system"},
	{"/run/credentials", "belongs to the system"},
	{"/run/host", "belongs to the system"},
	{"/run/log", "belongs to the system"}, // the journal's sockets
	{"/run/udev", "belongs to the system"},
}

// runPath maps the legacy names /var/run and /var/lock to /run and
// /run/lock, which they are symbolic links to on every current
// distribution.
func runPath(p string) string {
	switch {
	case p == "/var/run":
		return "/run"
	case strings.HasPrefix(p, "/var/run/"):
		return "/run/" + p[len("/var/run/"):]
	case p == "/var/lock":
		return "/run/lock"
	case strings.HasPrefix(p, "/var/lock/"):
		return "/run/lock/" + p[len("/var/lock/"):]
	}
	return p
}

// sharedDir returns the shared directory that holds the file p, and why it
// is refused, or "" when p is elsewhere. p is absolute and clean.
func sharedDir(p string) (dir, why string) {
	p = runPath(p)
	for _, d := range sharedDirs {
		if strings.HasPrefix(p, d.dir+"/") {
			return d.dir, d.why
		}
	}
	return "", ""
}

// RuntimeDirectory returns the directory that holds the pidfile when it
// belongs to this service alone: /run/<name> or a directory below it,
// written under /run even when PIDFile names /var/run. For a template
// service (name ending in "@") the service's own directory is
// /run/<base>-%i, one per instance (%i stays a systemd specifier), or a
// directory below it. Generators may create that directory for the
// service, give it to the service's account and remove it when the
// service stops (systemd's RuntimeDirectory= does).
//
// It returns "" when the pidfile is anywhere else: directly in /run, in
// another service's directory under /run, in a shared directory such as
// /run/lock, /run/user/UID or /run/systemd, or outside /run. Such a
// directory is not the service's to create, chown or remove, so generators
// must leave it as they find it. The answer depends only on Name and
// PIDFile, so it holds for a Spec built by hand too.
func (s *Spec) RuntimeDirectory() string {
	base := s.BaseName()
	if base == "" || strings.ContainsAny(base, "/@") || !path.IsAbs(s.PIDFile) || path.Clean(s.PIDFile) != s.PIDFile {
		return ""
	}
	p := runPath(s.PIDFile)
	dir := path.Dir(p)
	own := "/run/" + base
	if s.IsTemplate() {
		own += "-%i"
	}
	if dir != own && !strings.HasPrefix(dir, own+"/") {
		return ""
	}
	if shared, _ := sharedDir(p); shared != "" {
		return ""
	}
	return dir
}
