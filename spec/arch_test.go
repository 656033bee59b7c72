package spec

import "runtime"

func goarch() string { return runtime.GOARCH }
