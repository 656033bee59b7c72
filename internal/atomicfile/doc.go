// Package atomicfile writes sets of files so that a reader never sees a
// half-written one: each file is written to a temporary name in the target
// directory, synced, and renamed into place only once every file of the set
// has been written.
package atomicfile
