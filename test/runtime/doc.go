// Package runtimetest runs daemonctl run/stop/status/reload, the daemon
// library and echod as real processes: under a real pty, with concurrent
// launches, crash loops, signals and a privilege drop (as root). The test
// process is a child subreaper, so detached daemons are reparented to it
// and it reaps them.
package runtimetest
