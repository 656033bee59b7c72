package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestReportEscapes: what a command prints for an error cannot gain lines
// or terminal escapes from the input it quotes (a path, a flag, a spec
// value); a list of errors still prints one line per error.
func TestReportEscapes(t *testing.T) {
	forged := "/run/a\x1b[2J\ndaemon.yaml:1: name: forged"
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"plain", fmt.Errorf("stop: open %s: no such file", forged),
			`daemonctl: stop: open /run/a\x1b[2J\ndaemon.yaml:1: name: forged: no such file` + "\n"},
		{"exit error", &ExitError{Code: 4, Err: fmt.Errorf("daemonctl: status: %s\r.", forged)},
			`daemonctl: status: /run/a\x1b[2J\ndaemon.yaml:1: name: forged\r.` + "\n"},
		{"list of errors", &ExitError{Code: 2, Err: errors.Join(errors.New("f.yaml:1: a: bad \x07"), errors.New("f.yaml:2: b: \u202eworse\nfake"))},
			"f.yaml:1: a: bad \\a\nf.yaml:2: b: \\u202eworse\\nfake\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			report(c.err, Stdio{Out: &out, Err: &errOut})
			if errOut.String() != c.want {
				t.Errorf("stderr %q\nwant   %q", errOut.String(), c.want)
			}
		})
	}
	// Through the command line: cobra's own message quotes the flag.
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"status", "--\x1b]0;x\x07\nfake"}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if strings.ContainsAny(errOut.String(), "\x1b\x07") || strings.Count(errOut.String(), "\n") != 2 {
		t.Errorf("stderr not escaped: %q", errOut.String())
	}
}
