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
			MaxBackoff: time.Minute, StartLimitBurst: -1, StartLimitInterval: time.Hour, RelayReady: true,
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
	cmd := Command("/usr/bin/daemonctl", Options{Pidfile: "/run/x.pid"}, "/bin/sleep", []string{"sleep", "1"}, []string{"A=1"}, nil, w)
	if cmd.Path != "/usr/bin/daemonctl" || !reflect.DeepEqual(cmd.Args, []string{"daemonctl", "keepalive", "/bin/sleep"}) {
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
	var args string
	for _, kv := range cmd.Env {
		if v, ok := strings.CutPrefix(kv, envArgs+"="); ok {
			args = v
		}
	}
	if got, err := decodeArgs(args); err != nil || !reflect.DeepEqual(got, []string{"sleep", "1"}) {
		t.Errorf("worker args %q: %v, %v", args, got, err)
	}
	odd := []string{"prog", "a b", "&x=y", "%41", "", "ü\n"}
	if got, err := decodeArgs(encodeArgs(odd)); err != nil || !reflect.DeepEqual(got, odd) {
		t.Errorf("args round trip: %q, %v", got, err)
	}
	if code, ok := Stage(func(string) string { return "" }); ok || code != 0 {
		t.Fatal("Stage ran without its variables")
	}
}
