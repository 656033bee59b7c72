package sysv

import (
	"io"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// BenchmarkScript renders the bundled example's init script.
func BenchmarkScript(b *testing.B) {
	s, err := spec.Load("../examples/echod/daemon.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := g.Script(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}
