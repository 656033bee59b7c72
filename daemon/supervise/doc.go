// Package supervise is the keepalive "angel": a small supervisor that
// starts a worker process, waits for it with wait4(2), and restarts it
// according to a policy modelled on systemd's Restart=, with exponential
// backoff and a start limit.
//
// The angel forwards SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 to the
// worker; TERM and INT (or the end of the context) also mean "stop": the
// worker is not restarted, and when it, its process group or the orphans
// it left are still there after Config.StopTimeout they get SIGKILL; Run
// returns with its status once they are gone. Every death is
// logged with its exit code or signal and the worker's peak resident set
// size (ru_maxrss). The worker gets PR_SET_PDEATHSIG=SIGKILL, so it never
// outlives a killed angel as an orphan duplicate.
//
// The supervisor sleeps in the kernel while the worker runs: a goroutine
// blocked in wait4 and the signal channel, no timers and no polling, so
// an idle angel uses no CPU.
//
// Non-goals: health checks, and processes that left both the worker's
// process group and its tree while their parent lives.
package supervise
