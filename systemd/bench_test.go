package systemd

import (
	"io"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// BenchmarkService renders the bundled example's unit.
func BenchmarkService(b *testing.B) {
	s, err := spec.Load("../examples/echod/daemon.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := New()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := g.Service(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}
