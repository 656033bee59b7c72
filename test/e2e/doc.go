// Package e2e holds the end-to-end tests that prove daemonctl's packages on
// real init systems: a cached Debian rootfs built from the host's own apt
// sources, booted with systemd-nspawn so that systemd is PID 1 (or started
// without an init for the SysV scenarios), commands run inside with nsenter.
//
// The tests are behind the build tag e2e, need root, systemd-nspawn,
// mmdebstrap and util-linux's nsenter, and are run with
//
//	go test -tags e2e -v -count=1 -timeout 20m ./test/e2e/...
//
// See README.md in this directory for the cache location and the knobs.
package e2e
