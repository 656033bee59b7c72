// Package cli implements the daemonctl command line. Each subcommand lives in
// a file of its own: it parses flags into an options struct and hands it to a
// run function, so that parsing and behaviour can be tested apart.
//
// The runtime commands (run, stop, status, reload) are built into the
// daemonctl executable, which links nothing else heavy, because their start
// time and the keepalive angel's memory are part of what they promise. The
// build commands (gen, lint, package) live in package buildcli and in the
// daemonctl-build executable beside daemonctl; daemonctl hands them over
// with execve (see Forwarded).
package cli
