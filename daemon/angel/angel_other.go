//go:build !linux

package angel

// Stage never handles anything outside Linux.
func Stage(func(string) string) (int, bool) { return 0, false }

func readyEnv(int) string { return "" }
