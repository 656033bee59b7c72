// Package packaging builds .deb and .rpm packages of a service from its
// validated spec, through github.com/goreleaser/nfpm/v2 used as a library
// (it never runs nfpm, dpkg-deb or rpmbuild).
//
// A package holds:
//   - the files of package.files (the program at exec, 0755 by default),
//     stripped when they are ELF objects with symbols (as dh_strip does);
//     those under /etc and those listed in package.conffiles are conffiles
//     (deb) and %config(noreplace) (rpm); Depends gains libc6 for a
//     dynamically linked program. A src that is a symlink is followed and
//     its final target's content shipped as a regular file (src, like its
//     target, may be any file the builder can read: the spec's author
//     chooses what the package holds); a src that is or resolves to a
//     directory, FIFO, device or nothing is a *MissingFileError. A file may
//     not take a path the package generates (the units, the init script,
//     the sysusers file, the copyright and changelog, their directories),
//     except the environment file, which the spec may supply (a spec.Errors
//     on package.files[i].dst); where a file may go at all and its mode are
//     spec rules (spec.Config.Build);
//   - the systemd unit (and socket) from the systemd generator, in
//     /lib/systemd/system (deb) or /usr/lib/systemd/system (rpm);
//   - the LSB init script from the sysv generator, at /etc/init.d/NAME (deb,
//     a conffile as Debian policy wants for /etc) or /etc/rc.d/init.d/NAME
//     (rpm: the Fedora/RHEL location, where /etc/init.d is a symlink to it;
//     not %config, per Fedora's guidelines);
//   - the environment file (spec environment_file, /etc/default/NAME by
//     default) with commented defaults, a conffile / %config(noreplace), on
//     both formats at the one path the unit and the script read;
//   - /usr/lib/sysusers.d/NAME.conf when the service has an account;
//   - a machine-readable (DEP-5) copyright file, changelog.Debian.gz and,
//     for static Go programs, a lintian override (deb); the copyright as
//     %license and an rpm changelog (rpm);
//   - maintainer scripts rendered from templates/pkg-*.tmpl with the
//     semantics of debhelper's dh_installsystemd/dh_installinit (deb) and of
//     the systemd rpm macros (rpm): create the account (systemd-sysusers, else
//     groupadd/useradd, never deleted), enable and start on installation
//     (package.enable, package.start), restart on upgrade, stop on removal
//     (deb: and mask, as debhelper does, until purge; rpm: disable), and on
//     purge forget the enablement state, the rc.d links and /run/NAME. Nothing
//     is started where no init runs (chroots, image builds, DPKG_ROOT, a
//     policy-rc.d that says 101) and a service that fails to start does not
//     fail the installation.
//
// The rpm payload holds relative member names (./usr/bin/NAME), so that
// "rpm2cpio X.rpm | cpio -id" unpacks under the current directory.
//
// Builds are reproducible: every timestamp is Options.ModTime, else
// SOURCE_DATE_EPOCH, else the spec file's modification time, and the same
// inputs give byte-identical packages. Build writes all requested packages
// or none.
//
// Non-goals: source packages, signing with anything but a key file,
// dependency discovery beyond adding libc6 for dynamically linked programs.
//
//	b, err := packaging.New(packaging.Generators{Systemd: units, SysV: scripts})
//	arts, err := b.Build(ctx, s, packaging.Options{Dir: "dist"})
//	// arts[0].Path == "dist/echod_0.1.0-1_amd64.deb"
//	// arts[1].Path == "dist/echod-0.1.0-1.x86_64.rpm"
package packaging
