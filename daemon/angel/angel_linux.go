package angel

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/pidfile"
	"github.com/daemonctl/daemonctl/daemon/readiness"
	"github.com/daemonctl/daemonctl/daemon/supervise"
)

func readyEnv(fd int) string { return readiness.EnvFD + "=" + strconv.Itoa(fd) }

// Stage runs the angel when this process was started from a Command, and
// returns the exit code and true: the worker's status (see
// supervise.Exit.ExitCode) or 1 when the angel failed (pidfile held,
// worker not startable, start limit hit). Otherwise it returns 0, false
// at once. Logs go to standard error, which the angel shares with its
// workers.
func Stage(getenv func(string) string) (int, bool) {
	path := getenv(envExec)
	if path == "" {
		return 0, false
	}
	logger := log.New(os.Stderr, fmt.Sprintf("daemonctl-angel[%d]: ", os.Getpid()), log.LstdFlags)
	// Workers get descriptors 0-2 (and a readiness pipe) and nothing else
	// of ours, the launcher's readiness pipe included.
	if err := detach.CloseOnExec(); err != nil {
		logger.Print(err)
		return 1, true
	}
	rep := readiness.FromEnv(getenv)
	opts, err := decode(getenv(envOptions))
	var args []string
	if err == nil {
		args, err = argsFromEnv(getenv, os.Args)
	}
	if err != nil {
		logger.Print(err)
		rep.Fail(err)
		return 1, true
	}
	var env []string
	for _, kv := range os.Environ() {
		if !isAngelVar(kv) && !strings.HasPrefix(kv, readiness.EnvFD+"=") {
			env = append(env, kv)
		}
	}
	var pf *pidfile.File
	if opts.Pidfile != "" {
		if pf, err = pidfile.Acquire(opts.Pidfile); err == nil {
			if err = pf.Write(os.Getpid()); err != nil {
				pf.Remove() // nothing started yet: leave no pidfile
			}
		}
		if err != nil {
			logger.Print(err)
			rep.Fail(err)
			return 1, true
		}
		defer pf.Remove()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pipeW *os.File
	cfg := supervise.Config{
		Path: path, Args: args, Env: env,
		Files:              []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Credential:         opts.Credential,
		Restart:            opts.Restart,
		Backoff:            opts.Backoff,
		MaxBackoff:         opts.MaxBackoff,
		StartLimitBurst:    opts.StartLimitBurst,
		StartLimitInterval: opts.StartLimitInterval,
		StopTimeout:        opts.StopTimeout,
		Logf:               logger.Printf,
		Prepare: func(n int) ([]*os.File, []string) {
			if n != 1 || !opts.RelayReady || rep == nil {
				return nil, nil
			}
			r, w, err := os.Pipe()
			if err != nil {
				logger.Print(err)
				return nil, nil
			}
			pipeW = w
			go func() {
				// The first worker reports to us; we tell the launcher. A
				// first worker that fails to start is not restarted.
				if err := readiness.Wait(r); err != nil {
					rep.Fail(err)
					cancel()
					return
				}
				rep.Ready()
			}()
			return []*os.File{w}, []string{readyEnv(3)}
		},
		Started: func(pid, n int) {
			logger.Printf("started worker pid %d (start %d)", pid, n)
			// Once the worker runs, the angel only waits: give back the
			// pages of the binary it touched while starting (one timer,
			// after which it sleeps until a signal or a death).
			time.AfterFunc(200*time.Millisecond, trimResident)
			if pipeW != nil {
				pipeW.Close()
				pipeW = nil
			}
			if n == 1 && !opts.RelayReady {
				rep.Ready()
			}
		},
	}
	exit, err := supervise.Run(ctx, cfg)
	if err != nil {
		logger.Print(err)
		rep.Fail(err)
		return 1, true
	}
	rep.Close()
	if ctx.Err() != nil {
		return 1, true // the first worker failed to become ready
	}
	return exit.ExitCode(), true
}
