// Package privdrop resolves a user and group to a credential (with the
// user's supplementary groups, as initgroups(3) would set them) and drops
// the current process to it for good, checking that the drop took.
//
// Drop is meant for a daemon that did its privileged work first: created
// and chowned its runtime directory and log files, took its pidfile lock,
// bound privileged ports. For a child process, put the Credential in
// syscall.SysProcAttr instead: the kernel applies it between fork and exec
// and the start fails if it cannot.
package privdrop
