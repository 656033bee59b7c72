package spec

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and Build: they must never panic,
// and every failure must be an Errors whose lines all start with the file name.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("name: a\nexec: /x\nargs: [\"a b\", '$x', \"%%\"]\nenvironment: {A: \"1\"}\n"))
	f.Add([]byte("name: a\nexec: /x\nlisten: [\"tcp:[::1]:80\", \"unix:/run/a.sock\"]\nlimits: {nofile: \"1:2\"}\n"))
	f.Add([]byte("package:\n  files:\n    - {src: a, dst: /b, mode: 0755}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data)
		if err == nil {
			_, err = cfg.Build()
		}
		if err == nil {
			return
		}
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("error is %T, not Errors: %v", err, err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "f.yaml") {
				t.Fatalf("error line without file name: %q", line)
			}
		}
	})
}
