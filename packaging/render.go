package packaging

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/daemonctl/daemonctl/spec"
)

// scriptData feeds the maintainer-script templates (pkg-deb-*, pkg-rpm-*).
type scriptData struct {
	Script    string // script name for the header comment, e.g. "postinst"
	Usage     string // how the package manager calls it, for the header comment
	Name      string // package name (the first service's name)
	Deb       bool   // dpkg script (else rpm scriptlet)
	PreUnpack bool   // the deb preinst: the sysusers file is not unpacked yet
	// Services are the services the scripts enable, start, restart, stop
	// and disable: every non-template service of the package, in spec
	// order. Empty when the package ships template services only.
	Services []serviceData
	// Templates are the unit name patterns of the template services
	// ("NAME@*.service"): their running instances are restarted on
	// upgrade and stopped on removal; nothing enables them.
	Templates []string
	// Accounts are the accounts to create, deduplicated; empty when every
	// service runs as root.
	Accounts     []accountData
	SysusersName string // sysusers.d file name, "<name>.conf"
	SysusersPath string // its absolute path on the target; "" when no account
	Sysusers     string // its text, for rpm's %pre and the deb preinst (the file is not unpacked yet)
	Enable       bool   // enable on installation
	Start        bool   // start on installation, restart on upgrade
	// Purge is what purging (deb) or erasing (rpm) removes beyond the
	// runtime directories; see purgeData.
	Purge purgeData
	// Root prefixes every file test and path the scripts run or remove
	// (/run/systemd/system, the init script, policy-rc.d, the runtime
	// directory). Always "" in packages; tests point it at a temporary tree.
	Root string
}

// InitScripts are the Services that have an init script.
func (d scriptData) InitScripts() []serviceData {
	var out []serviceData
	for _, s := range d.Services {
		if s.InitScript != "" {
			out = append(out, s)
		}
	}
	return out
}

// RuntimeDirs reports whether a service has a runtime directory to remove.
func (d scriptData) RuntimeDirs() bool {
	return slices.ContainsFunc(d.Services, func(s serviceData) bool { return s.RuntimeDir != "" })
}

// serviceData is one non-template service of the maintainer scripts.
type serviceData struct {
	Name       string   // service name
	Units      []string // unit file names, e.g. echod.service echod.socket
	InitScript string   // absolute path of the init script; "" when none
	RuntimeDir string   // runtime directory removed on purge; "" for none
}

// accountData is one account the package creates.
type accountData struct {
	User        string // user name; "" for a group only
	Group       string // the user's primary group, never ""
	NewGroup    bool   // the first entry naming Group: create it here
	Description string // for the GECOS field
}

// purgeData lists what package.purge removes, already checked.
type purgeData struct {
	Dirs     []string // directories removed with everything in them
	Files    []string // log file patterns (shell globs) removed with their rotated copies
	Accounts bool     // remove the accounts the package created (recorded in MarkerDir)
	// MarkerDir records which accounts the package created (one empty
	// file per account: user.NAME, group.NAME); "" when Accounts is false.
	MarkerDir string
}

// scriptUsage documents each script's calling convention in its header.
var scriptUsage = map[string][2]string{
	"pkg-deb-preinst.tmpl":  {"preinst", "dpkg runs it as: preinst install [OLD-VERSION [NEW-VERSION]] | upgrade OLD-VERSION NEW-VERSION | abort-upgrade NEW-VERSION"},
	"pkg-deb-postinst.tmpl": {"postinst", "dpkg runs it as: postinst configure [OLD-VERSION] | abort-upgrade NEW-VERSION | abort-remove | abort-deconfigure ..."},
	"pkg-deb-prerm.tmpl":    {"prerm", "dpkg runs it as: prerm remove | upgrade NEW-VERSION | deconfigure ... | failed-upgrade OLD-VERSION"},
	"pkg-deb-postrm.tmpl":   {"postrm", "dpkg runs it as: postrm remove | purge | upgrade NEW-VERSION | disappear ... | abort-install | abort-upgrade OLD-VERSION | failed-upgrade OLD-VERSION"},
	"pkg-rpm-pre.tmpl":      {"%pre", "rpm runs it with $1 = number of instances after the transaction: 1 install, 2 upgrade"},
	"pkg-rpm-post.tmpl":     {"%post", "rpm runs it with $1 = 1 on install, 2 on upgrade (before the old package's %preun/%postun)"},
	"pkg-rpm-preun.tmpl":    {"%preun", "rpm runs it with $1 = 0 on erase, 1 when an upgrade removes this old version"},
	"pkg-rpm-postun.tmpl":   {"%postun", "rpm runs it with $1 = 0 on erase, 1 when an upgrade removed this old version"},
}

// scriptData collects what the maintainer scripts of format f need:
// services are the package's non-template services with their units and
// init scripts, in s.All() order.
func (b *Builder) scriptData(s *spec.Spec, f Format, services []serviceData, sysusersPath, sysusers, root string) scriptData {
	d := scriptData{
		Name:         s.Name,
		Deb:          f == Deb,
		Services:     services,
		Accounts:     accounts(s),
		SysusersName: s.Name + ".conf",
		SysusersPath: sysusersPath,
		Sysusers:     sysusers,
		Enable:       s.Package.Enable && len(services) > 0,
		Start:        s.Package.Start && len(services) > 0,
		Root:         root,
	}
	for _, svc := range s.All() {
		if svc.IsTemplate() {
			d.Templates = append(d.Templates, svc.Name+"*.service")
		}
	}
	return d
}

// accounts lists the accounts the services of s run as, each user and
// group once, in s.All() order.
func accounts(s *spec.Spec) []accountData {
	var out []accountData
	users, groups := map[string]bool{}, map[string]bool{}
	for _, svc := range s.All() {
		a := accountData{User: account(svc.User), Group: account(svc.Group), Description: gecosText(svc.Description)}
		// Not spec's default (Build already gave the group the user's
		// name): a group of root has no account to create, and useradd,
		// like sysusers' "u NAME -", then gives the user a group of its own.
		if a.User != "" && a.Group == "" {
			a.Group = a.User
		}
		if a.Group == "" || (users[a.User] && a.User != "") || (a.User == "" && groups[a.Group]) {
			continue
		}
		a.NewGroup = !groups[a.Group]
		users[a.User], groups[a.Group] = true, true
		out = append(out, a)
	}
	return out
}

// runtimeDir is the service's own directory under /run, removed on purge,
// when spec.Spec.RuntimeDirectory says the pidfile lives in it; "" otherwise
// and for a template service (whose directories belong to its instances).
func runtimeDir(s *spec.Spec) string {
	if s.RuntimeDirectory() == "" || s.IsTemplate() {
		return ""
	}
	return "/run/" + s.Name
}

// script renders one maintainer-script template.
func (b *Builder) script(name string, d scriptData) ([]byte, error) {
	u := scriptUsage[name]
	d.Script, d.Usage = u[0], u[1]
	d.PreUnpack = name == "pkg-deb-preinst.tmpl"
	return b.render(name, d)
}

// render executes one named template.
func (b *Builder) render(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := b.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("packaging: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// docData feeds the documentation and configuration templates.
type docData struct {
	Name, Version, Maintainer, Homepage string
	Year                                int
	Date                                string // RFC 2822, for the changelog trailer
	RFC3339                             string // the same date for the rpm changelog
	License                             string // DEP-5 short name
	CommonLicense                       string // /usr/share/common-licenses/X, or ""
	LicenseText                         string // full text, one leading space per line, or ""
	Environment                         []spec.EnvVar
	InitScript                          string
	Accounts                            []accountData // the accounts the package creates
	StaticBinaries                      []string      // package-relative paths of static ELF programs
}

func (st *staged) docData(static []string, initScript string) docData {
	s := st.spec
	p := s.Package
	d := docData{
		Name:           s.Name,
		Version:        p.Version + "-" + p.Release,
		Maintainer:     p.Maintainer,
		Homepage:       p.Homepage,
		Year:           st.mtime.Year(),
		Date:           st.mtime.Format("Mon, 02 Jan 2006 15:04:05 -0700"),
		RFC3339:        st.mtime.Format(time.RFC3339),
		Environment:    s.Environment,
		InitScript:     initScript,
		Accounts:       accounts(s),
		StaticBinaries: static,
	}
	d.License, d.CommonLicense, d.LicenseText = dep5License(p.License)
	return d
}

// commonLicenses maps SPDX identifiers to the DEP-5 name and the file in
// Debian's /usr/share/common-licenses.
var commonLicenses = map[string][2]string{
	"Apache-2.0":        {"Apache-2.0", "Apache-2.0"},
	"GPL-2.0":           {"GPL-2", "GPL-2"},
	"GPL-2.0-only":      {"GPL-2", "GPL-2"},
	"GPL-2.0-or-later":  {"GPL-2+", "GPL-2"},
	"GPL-3.0":           {"GPL-3", "GPL-3"},
	"GPL-3.0-only":      {"GPL-3", "GPL-3"},
	"GPL-3.0-or-later":  {"GPL-3+", "GPL-3"},
	"LGPL-2.1":          {"LGPL-2.1", "LGPL-2.1"},
	"LGPL-2.1-only":     {"LGPL-2.1", "LGPL-2.1"},
	"LGPL-2.1-or-later": {"LGPL-2.1+", "LGPL-2.1"},
	"LGPL-3.0":          {"LGPL-3", "LGPL-3"},
	"LGPL-3.0-only":     {"LGPL-3", "LGPL-3"},
	"LGPL-3.0-or-later": {"LGPL-3+", "LGPL-3"},
	"MPL-2.0":           {"MPL-2.0", "MPL-2.0"},
	"CC0-1.0":           {"CC0-1.0", "CC0-1.0"},
	"BSD-3-Clause":      {"BSD-3-clause", "BSD"},
}

// expatText is the MIT (Expat) license, which Debian does not ship in
// common-licenses and DEP-5 therefore wants in full.
const expatText = `Permission is hereby granted, free of charge, to any person obtaining a
copy of this software and associated documentation files (the "Software"),
to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included
in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`

// dep5License returns the DEP-5 license name and either the common-licenses
// file or the full text (as DEP-5 continuation lines) for SPDX name spdx.
func dep5License(spdx string) (name, common, text string) {
	switch {
	case spdx == "":
		return "unspecified", "", ""
	case spdx == "MIT" || spdx == "Expat":
		return "Expat", "", dep5Text(expatText)
	}
	if l, ok := commonLicenses[spdx]; ok {
		return l[0], "/usr/share/common-licenses/" + l[1], ""
	}
	return spdx, "", ""
}

// dep5Text indents text as a DEP-5 field continuation: one space before
// each line, "." for empty lines.
func dep5Text(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = " ."
		} else {
			lines[i] = " " + l
		}
	}
	return strings.Join(lines, "\n")
}
