package spec_test

import (
	"fmt"

	"github.com/daemonctl/daemonctl/spec"
)

// Parse and Build turn daemon.yaml into a validated Spec with every default
// applied.
func Example() {
	cfg, err := spec.Parse("daemon.yaml", []byte(`
name: web
exec: /usr/bin/web
args: ["--port", "8080"]
user: web
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Type, s.PIDFile, s.Group, s.Restart, s.StopTimeout, s.After)
	// Output: simple /run/web/web.pid web on-failure 10s [network-online.target]
}

// Every problem is reported at once, each as file:line: field: reason.
func Example_errors() {
	_, err := spec.Parse("daemon.yaml", []byte("name: web\nexce: /usr/bin/web\nrestart: sometimes\n"))
	fmt.Println(err)
	// Output: daemon.yaml:2: exce: unknown key (did you mean "exec"?)
}
