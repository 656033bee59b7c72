package angel

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/supervise"
)

// Environment variables of the angel stage; the worker never sees them.
const (
	envExec    = "DAEMONCTL_ANGEL_EXEC"    // worker program path
	envArgs    = "DAEMONCTL_ANGEL_ARGS"    // worker argv, URL-query encoded
	envOptions = "DAEMONCTL_ANGEL_OPTIONS" // Options, URL-query encoded
)

func encodeArgs(args []string) string { return url.Values{"a": args}.Encode() }

func decodeArgs(s string) ([]string, error) {
	v, err := url.ParseQuery(s)
	if err != nil || len(v["a"]) == 0 {
		return nil, fmt.Errorf("%w: worker arguments %q", ErrOptions, s)
	}
	return v["a"], nil
}

// ErrOptions means the angel's options could not be decoded.
var ErrOptions = errors.New("angel: bad options")

// Options configure the angel. The zero value restarts on failure at
// once, with supervise's default start limit, and writes no pidfile.
type Options struct {
	// Pidfile, when not "", is acquired (failing with "already running"
	// when held) and holds the angel's pid.
	Pidfile string
	// Restart, Backoff, MaxBackoff, StartLimitBurst and
	// StartLimitInterval have the meaning of the supervise.Config fields.
	Restart            supervise.Policy
	Backoff            time.Duration
	MaxBackoff         time.Duration
	StartLimitBurst    int
	StartLimitInterval time.Duration
	// RelayReady passes a readiness pipe to the first worker and reports
	// to the launcher only what the worker reports. When false, the
	// launcher hears "ready" as soon as the first worker has executed.
	RelayReady bool
	// Credential, when not nil, is applied to every worker before exec
	// (the angel itself keeps its identity, so it can remove the pidfile).
	Credential *syscall.Credential
}

func (o Options) encode() string {
	v := url.Values{}
	v.Set("pidfile", o.Pidfile)
	v.Set("restart", string(o.Restart))
	v.Set("backoff", o.Backoff.String())
	v.Set("max-backoff", o.MaxBackoff.String())
	v.Set("burst", strconv.Itoa(o.StartLimitBurst))
	v.Set("interval", o.StartLimitInterval.String())
	v.Set("relay", strconv.FormatBool(o.RelayReady))
	if c := o.Credential; c != nil {
		v.Set("uid", strconv.FormatUint(uint64(c.Uid), 10))
		v.Set("gid", strconv.FormatUint(uint64(c.Gid), 10))
		for _, g := range c.Groups {
			v.Add("group", strconv.FormatUint(uint64(g), 10))
		}
	}
	return v.Encode()
}

func decode(s string) (Options, error) {
	v, err := url.ParseQuery(s)
	if err != nil {
		return Options{}, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	var o Options
	var errs []error
	dur := func(k string) time.Duration {
		d, err := time.ParseDuration(v.Get(k))
		errs = append(errs, err)
		return d
	}
	o.Pidfile = v.Get("pidfile")
	o.Restart, err = supervise.ParsePolicy(v.Get("restart"))
	errs = append(errs, err)
	o.Backoff, o.MaxBackoff, o.StartLimitInterval = dur("backoff"), dur("max-backoff"), dur("interval")
	o.StartLimitBurst, err = strconv.Atoi(v.Get("burst"))
	errs = append(errs, err)
	o.RelayReady, err = strconv.ParseBool(v.Get("relay"))
	errs = append(errs, err)
	if v.Has("uid") {
		id := func(s string) uint32 {
			n, err := strconv.ParseUint(s, 10, 32)
			errs = append(errs, err)
			return uint32(n)
		}
		o.Credential = &syscall.Credential{Uid: id(v.Get("uid")), Gid: id(v.Get("gid")), Groups: []uint32{}}
		for _, g := range v["group"] {
			o.Credential.Groups = append(o.Credential.Groups, id(g))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Options{}, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return o, nil
}

// Command returns the detach.Command that starts the angel stage of exe
// (normally /proc/self/exe of a program that calls Stage) supervising the
// worker path with argv args and environment env (nil: ours). files are
// the worker's descriptors 0, 1, 2 (nil entries: /dev/null); ready, when
// not nil, is the write end of a readiness pipe (package readiness) on
// which the launcher waits.
//
// The angel's own argv is "EXE keepalive PATH" (EXE's base name), so that
// ps tells it from its worker and a pattern that matches the worker's
// arguments (pkill -f) does not match the angel; the worker's argv travels
// in the environment.
func Command(exe string, opts Options, path string, args, env []string, files []*os.File, ready *os.File) *detach.Command {
	if env == nil {
		env = os.Environ()
	}
	if len(args) == 0 {
		args = []string{path}
	}
	env = append(env[:len(env):len(env)], envExec+"="+path, envArgs+"="+encodeArgs(args), envOptions+"="+opts.encode())
	files = append(files[:len(files):len(files)], make([]*os.File, 3)...)[:3]
	if ready != nil {
		files = append(files, ready)
		env = append(env, readyEnv(3))
	}
	return &detach.Command{Path: exe, Args: []string{filepath.Base(exe), "keepalive", path}, Env: env, Files: files}
}
