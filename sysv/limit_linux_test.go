package sysv

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLimitFallsBackToHardLimit runs the script's limit function as an
// unprivileged user, who cannot raise a hard limit: like systemd, it keeps
// the hard limit it has, caps the soft one to it and warns, instead of
// failing the start. Within the hard limit it sets exactly what was asked.
func TestLimitFallsBackToHardLimit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to nobody")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv is not installed")
	}
	g, err := New()
	if err != nil {
		t.Fatal(err)
	}
	var fn bytes.Buffer
	if err := g.tmpl.ExecuteTemplate(&fn, "limitfn", nil); err != nil {
		t.Fatal(err)
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	hard := lim.Max
	if hard < 256 || hard == unix.RLIM_INFINITY {
		t.Skipf("unusual nofile hard limit %d", hard)
	}
	above := strconv.FormatUint(hard+1000, 10)
	cases := []struct {
		name, soft, limitHard, wantSoft, wantHard string
		warn                                      bool
	}{
		{"within the hard limit", "100", "200", "100", "200", false},
		{"above: soft capped", above, above, strconv.FormatUint(hard, 10), strconv.FormatUint(hard, 10), true},
		{"above: low soft kept", "100", above, "100", strconv.FormatUint(hard, 10), true},
		{"unlimited: soft capped", "unlimited", "unlimited", strconv.FormatUint(hard, 10), strconv.FormatUint(hard, 10), true},
	}
	for _, shell := range [][]string{{"dash"}, {"bash", "--posix"}, {"busybox", "sh"}} {
		if _, err := exec.LookPath(shell[0]); err != nil {
			t.Logf("%s is not installed", shell[0])
			continue
		}
		for _, c := range cases {
			t.Run(shell[0]+"/"+c.name, func(t *testing.T) {
				script := fn.String() + "\nNAME=svc\nlimit -n " + c.soft + " " + c.limitHard + "\necho \"$(ulimit -Sn) $(ulimit -Hn)\"\n"
				args := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups"}, shell...)
				args = append(args, "-c", script)
				cmd := exec.Command(setpriv, args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("limit failed: %v: %s", err, stderr.String())
				}
				if got, want := strings.TrimSpace(string(out)), c.wantSoft+" "+c.wantHard; got != want {
					t.Errorf("soft hard = %q, want %q", got, want)
				}
				if warned := strings.Contains(stderr.String(), "svc: warning: cannot raise the hard limit"); warned != c.warn {
					t.Errorf("warning printed: %v, want %v (stderr %q)", warned, c.warn, stderr.String())
				}
			})
		}
	}
}
