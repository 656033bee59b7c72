// Package atomicfile writes sets of files so that a reader never sees a
// half-written one and a failure leaves the old set: each file is written
// to a temporary name in the target directory and synced, the files it
// replaces are kept under backup names, and only then is each renamed into
// place; when a rename fails, the files already replaced get their old
// content back. The renames are atomic one by one, not as a set; WriteAll
// documents the short window that remains.
package atomicfile
