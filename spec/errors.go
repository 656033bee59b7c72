package spec

import (
	"fmt"
	"strings"

	"github.com/daemonctl/daemonctl/internal/textesc"
)

// Error is one problem in a spec, located by file, line and field.
// Line is 0 when the value did not come from a file (flags, defaults).
type Error struct {
	File   string // file name as given by the user; empty for flags
	Line   int    // 1-based line; 0 when unknown
	Field  string // dotted key path, e.g. "package.version" or "args[2]"
	Reason string // what is wrong, lowercase, no trailing period
	Err    error  // the underlying error, if any (such as an fs error); may be nil
}

// Unwrap returns the underlying error, so that errors.Is(err, fs.ErrNotExist)
// works for a missing spec file.
func (e *Error) Unwrap() error { return e.Err }

// Error formats the problem as "file:line: field: reason", on one line.
// File, Field and Reason may quote what the user wrote (a key, a value, a
// path), so every character in them that is not printable (control bytes,
// newlines, invalid UTF-8, bidirectional overrides) is written as a Go
// escape such as \x1b or \n: a spec cannot add lines to the message or
// send escape sequences to the terminal. This is the one place where spec
// errors are made safe to print.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(textesc.Escape(e.File))
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(textesc.Escape(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(textesc.Escape(e.Reason))
	return b.String()
}

// Errors is every problem found in one spec, in file order. It is the error
// type returned by Parse, Validate and Load; a nil Errors is never returned
// as a non-nil error.
type Errors []*Error

// Error joins the problems, one per line; each line is escaped as
// (*Error).Error describes, so the message has exactly len(errs) lines.
func (errs Errors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems for errors.Is and errors.As.
func (errs Errors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}
