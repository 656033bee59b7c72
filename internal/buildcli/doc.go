// Package buildcli implements the daemonctl commands that build files from a
// spec: gen, lint and package. They run in the daemonctl-build executable,
// to which daemonctl hands these commands over, so that daemonctl itself
// links none of the template and packaging libraries (see package cli).
package buildcli
