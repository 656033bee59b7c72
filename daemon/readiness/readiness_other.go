//go:build !linux

package readiness

// writablePipe accepts any descriptor where it is not checked.
func writablePipe(int) bool { return true }
