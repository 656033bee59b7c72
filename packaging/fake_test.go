package packaging

import (
	"fmt"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
	"github.com/daemonctl/daemonctl/spec"
)

// fakeGen stands in for the systemd and sysv generators: one file named
// like theirs, with recognisable content.
type fakeGen struct{ sysv bool }

func (g fakeGen) Files(s *spec.Spec) ([]atomicfile.File, error) {
	if g.sysv {
		return []atomicfile.File{{Name: s.Name, Mode: 0o755, Data: []byte("#!/bin/sh\nexit 0\n")}}, nil
	}
	out := []atomicfile.File{{Name: s.Name + ".service", Mode: 0o644, Data: []byte(fmt.Sprintf("[Service]\nExecStart=%s\n", s.Exec))}}
	if len(s.Listen) > 0 {
		out = append(out, atomicfile.File{Name: s.Name + ".socket", Mode: 0o644, Data: []byte("[Socket]\n")})
	}
	return out, nil
}
