package angel

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemonctl/daemonctl/daemon/detach"
	"github.com/daemonctl/daemonctl/daemon/supervise"
)

// Environment variables of the angel stage; the worker never sees them.
const (
	envExec    = "DAEMONCTL_ANGEL_EXEC"    // worker program path
	envArgc    = "DAEMONCTL_ANGEL_ARGC"    // number of worker arguments
	envArgPfx  = "DAEMONCTL_ANGEL_ARG_"    // + index: one worker argument, verbatim
	envOptions = "DAEMONCTL_ANGEL_OPTIONS" // Options, URL-query encoded
)

// argsEnv passes the worker's argv as one variable per argument (a single
// environment string is limited like a single argument, to 128 KiB).
func argsEnv(args []string) []string {
	env := make([]string, 0, len(args)+1)
	env = append(env, envArgc+"="+strconv.Itoa(len(args)))
	for i, a := range args {
		env = append(env, envArgPfx+strconv.Itoa(i)+"="+a)
	}
	return env
}

// maxArgs bounds the argument count argsFromEnv accepts: more variables
// than execve(2) lets an environment hold with the default stack limit
// (2 MiB / 22 bytes of the shortest "DAEMONCTL_ANGEL_ARG_0=").
const maxArgs = 1 << 17

// argsFromEnv reads what argsEnv wrote, or returns own (the angel's argv)
// when the argv was not passed that way. A count that is not a decimal
// number from 1 to maxArgs gives ErrOptions.
func argsFromEnv(getenv func(string) string, own []string) ([]string, error) {
	if getenv(envArgc) == "" {
		return own, nil
	}
	n, err := strconv.ParseUint(getenv(envArgc), 10, 64)
	if err != nil || n < 1 || n > maxArgs {
		return nil, fmt.Errorf("%w: %s=%q", ErrOptions, envArgc, getenv(envArgc))
	}
	args := make([]string, n)
	for i := range args {
		args[i] = getenv(envArgPfx + strconv.Itoa(i))
	}
	return args, nil
}

// isAngelVar reports whether an environment entry is one of the angel
// stage's own variables, which the worker does not get.
func isAngelVar(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	return name == envExec || name == envArgc || name == envOptions || strings.HasPrefix(name, envArgPfx)
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
	// StopTimeout is how long the worker and what it leaves behind get to
	// exit after the angel is told to stop, before the angel sends SIGKILL
	// to them; 0 means supervise.DefaultStopTimeout. Whoever stops the
	// angel must wait longer than this before it kills the angel: the
	// worker dies with a killed angel, its children would not.
	StopTimeout time.Duration
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
	v.Set("stop-timeout", o.StopTimeout.String())
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
	o.StopTimeout = dur("stop-timeout")
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
// The angel gets args as its own argv, which a program that re-executes
// itself as its angel needs (its main may parse them before it reaches
// Stage), and the worker gets the angel's argv. To show something else for
// the angel, use Retitle.
func Command(exe string, opts Options, path string, args, env []string, files []*os.File, ready *os.File) *detach.Command {
	if env == nil {
		env = os.Environ()
	}
	if len(args) == 0 {
		args = []string{path}
	}
	// The caller's environment must not pose as the angel's variables.
	env = slices.DeleteFunc(slices.Clone(env), isAngelVar)
	env = append(env, envExec+"="+path, envOptions+"="+opts.encode())
	files = append(files[:len(files):len(files)], make([]*os.File, 3)...)[:3]
	if ready != nil {
		files = append(files, ready)
		env = append(env, readyEnv(3))
	}
	return &detach.Command{Path: exe, Args: args, Env: env, Files: files}
}

// Retitle gives the angel of cmd (from Command) the argv title, for ps and
// pkill -f to tell it from its worker, and passes the worker's argv in the
// environment instead, one variable per argument. Each argument may then
// be up to 128 KiB less the variable's name (about 25 bytes), as one
// environment string is limited like one argument.
func Retitle(cmd *detach.Command, title []string) {
	cmd.Env = append(cmd.Env, argsEnv(cmd.Args)...)
	cmd.Args = title
}
