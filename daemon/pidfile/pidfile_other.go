//go:build !linux

package pidfile

import "os"

// File is a locked pidfile; see the Linux implementation.
type File struct{}

// Acquire returns ErrUnsupported outside Linux.
func Acquire(string) (*File, error) { return nil, ErrUnsupported }

// Path returns "".
func (*File) Path() string { return "" }

// File returns nil.
func (*File) File() *os.File { return nil }

// Write returns ErrUnsupported.
func (*File) Write(int) error { return ErrUnsupported }

// Remove returns ErrUnsupported.
func (*File) Remove() error { return ErrUnsupported }

// Close returns ErrUnsupported.
func (*File) Close() error { return ErrUnsupported }

// Probe returns ErrUnsupported.
func Probe(string) (Status, error) { return Status{}, ErrUnsupported }

// RemoveStale returns ErrUnsupported.
func RemoveStale(string) error { return ErrUnsupported }
