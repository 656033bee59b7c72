package buildcli

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/daemonctl/daemonctl/internal/cli"
)

// TestMain lets testscript run this test binary as the daemonctl command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"daemonctl": func() {
			// The re-executed stages of run (detach, keepalive angel).
			if code, ok := cli.Stage(os.Getenv); ok {
				os.Exit(code)
			}
			os.Exit(Main(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
		},
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
