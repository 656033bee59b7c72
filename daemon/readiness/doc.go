// Package readiness carries "the daemon is up" (or its start error) from a
// detached daemon back to the process that launched it, over a pipe whose
// write end the daemon inherits. The launcher can then exit 0 only once
// the daemon really is up, and fail with the daemon's own error message
// when it is not.
//
// The protocol is one line on the pipe: "READY" or "ERROR <message>". A
// pipe closed without a line means the daemon died before it was ready.
// The daemon finds the descriptor number in the environment variable
// named by EnvFD.
package readiness
