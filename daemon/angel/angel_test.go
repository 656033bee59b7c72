package angel

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemonctl/daemonctl/daemon/supervise"
)

func TestOptionsRoundTrip(t *testing.T) {
	for _, o := range []Options{
		{Restart: supervise.RestartOnFailure},
		{
			Pidfile: "/run/a b&c=d.pid", Restart: supervise.RestartAlways, Backoff: 250 * time.Millisecond,
			MaxBackoff: time.Minute, StartLimitBurst: -1, StartLimitInterval: time.Hour, StopTimeout: 3 * time.Second, RelayReady: true,
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{65534, 4}},
		},
	} {
		got, err := decode(o.encode())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, o)
		}
	}
	for _, bad := range []string{"%", "restart=sometimes&backoff=0s&max-backoff=0s&interval=0s&burst=1&relay=false", "restart=no"} {
		if _, err := decode(bad); !errors.Is(err, ErrOptions) && !errors.Is(err, supervise.ErrConfig) {
			t.Errorf("decode(%q) = %v", bad, err)
		}
	}
}

func TestCommand(t *testing.T) {
	w := os.NewFile(uintptr(100), "ready")
	// A caller's variable that looks like ours does not reach the angel.
	cmd := Command("/usr/bin/daemonctl", Options{Pidfile: "/run/x.pid"}, "/bin/sleep", []string{"sleep", "1"}, []string{"A=1", envArgPfx + "1=forged"}, nil, w)
	if cmd.Path != "/usr/bin/daemonctl" || !reflect.DeepEqual(cmd.Args, []string{"sleep", "1"}) {
		t.Fatalf("command %+v", cmd)
	}
	if len(cmd.Files) != 4 || cmd.Files[3] != w || cmd.Files[0] != nil {
		t.Fatalf("files %v", cmd.Files)
	}
	env := strings.Join(cmd.Env, "\n")
	for _, want := range []string{"A=1", envExec + "=/bin/sleep", "DAEMONCTL_READY_FD=3", "pidfile=%2Frun%2Fx.pid"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "forged") || strings.Contains(env, envArgc) {
		t.Errorf("env:\n%s", env)
	}
	lookup := func(env []string) func(string) string {
		return func(k string) string {
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, k+"="); ok {
					return v
				}
			}
			return ""
		}
	}
	// Without Retitle the worker gets the angel's own argv.
	if got, err := argsFromEnv(lookup(cmd.Env), []string{"own"}); err != nil || !reflect.DeepEqual(got, []string{"own"}) {
		t.Errorf("argv without Retitle: %q, %v", got, err)
	}
	Retitle(cmd, []string{"daemonctl", "keepalive", "/bin/sleep"})
	if !reflect.DeepEqual(cmd.Args, []string{"daemonctl", "keepalive", "/bin/sleep"}) {
		t.Errorf("title %q", cmd.Args)
	}
	if got, err := argsFromEnv(lookup(cmd.Env), []string{"own"}); err != nil || !reflect.DeepEqual(got, []string{"sleep", "1"}) {
		t.Errorf("argv after Retitle: %q, %v", got, err)
	}
	// Every byte but NUL survives, and a long vector is not one string.
	odd := []string{"prog", "a b", "&x=y", "%41", "", "l1\nl2", "\xff\xfe;", strings.Repeat("x", 100000), strings.Repeat("y", 100000)}
	vars := map[string]string{}
	for _, kv := range argsEnv(odd) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
		if len(kv) > 128*1024 {
			t.Errorf("one variable of %d bytes", len(kv))
		}
	}
	if got, err := argsFromEnv(func(k string) string { return vars[k] }, nil); err != nil || !reflect.DeepEqual(got, odd) {
		t.Errorf("args round trip: %v", err)
	}
	for _, kv := range cmd.Env {
		if isAngelVar(kv) != (strings.HasPrefix(kv, "DAEMONCTL_ANGEL_")) {
			t.Errorf("isAngelVar(%q) wrong", kv)
		}
	}
	if code, ok := Stage(func(string) string { return "" }); ok || code != 0 {
		t.Fatal("Stage ran without its variables")
	}
}
