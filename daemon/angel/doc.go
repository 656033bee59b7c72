// Package angel runs package supervise as a re-executed stage of the
// current program: the keepalive process behind `daemonctl run
// --keepalive` and the daemon library's keepalive option.
//
// The angel holds the pidfile and writes its own pid there, not the
// worker's: `stop` and `reload` must reach the supervisor, which forwards
// the signal and knows that a TERM means "do not restart"; signalling the
// worker directly would just look like a crash and start a new one. The
// lock stays held across restarts because the angel, not the worker, owns
// it (the descriptor is close-on-exec, so workers never inherit it).
//
// The stage is selected by environment variables, and the angel's argv is
// the worker's argv, so a program using the daemon library parses the
// same flags in all its stages. Call Stage first thing in main (the
// daemon library's Run does it for you).
package angel
