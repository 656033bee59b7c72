package spec

import (
	"os"
	"testing"
)

// BenchmarkLoad reads, parses and validates the bundled example spec.
func BenchmarkLoad(b *testing.B) {
	path := "../examples/echod/daemon.yaml"
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
