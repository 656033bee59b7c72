// Package textesc makes untrusted text safe to print on one line of a
// terminal or a log: it escapes every byte and character that is not
// printable (control characters, invalid UTF-8, line and paragraph
// separators, bidirectional overrides) in Go's backslash notation, so that
// a spec, a flag or a path cannot add lines to an error message or send
// escape sequences to the terminal that shows it.
//
//	fmt.Println(textesc.Escape("a\x1b[2J\nb")) // a\x1b[2J\nb
//
// Printable text, including non-ASCII letters, passes unchanged, and so do
// backslashes: Escape is meant for display, not to be reversed.
package textesc
