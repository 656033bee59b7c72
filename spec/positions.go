package spec

// Positions: the parser records, for every field path it decodes
// ("exec", "args[1]", "package.files[0].src", "" for the document's top
// mapping), the line its value stands on. Build keeps them on the Spec so
// that a problem found later (a package file that does not exist, a path
// the package generates itself) still names file:line without reading the
// YAML again.

// Line returns the line of Source on which field's value stands
// ("exec", "args[1]", "package.files[0].src"), or, when the field was not
// written there itself, the line of the nearest enclosing key or list item
// that was ("package.files[0]", "package"). It returns 0 when the spec did
// not come from a file (flags, a Spec built by hand) or when no enclosing
// key was written: a default is not located.
//
// For a further service of the package (an element of Extra), field is
// the service's own ("exec") and the line is that of services[N].exec.
func (s *Spec) Line(field string) int { return lineIn(s.lines, s.field+field) }

// lineIn is Line on a map of full field paths.
func lineIn(lines map[string]int, field string) int {
	for f := field; f != ""; f = parentField(f) {
		if l, ok := lines[f]; ok {
			return l
		}
	}
	return 0
}

// mappingLine is Line, except that a field no enclosing key locates is
// placed on the document's top mapping: where a missing key belongs.
func mappingLine(lines map[string]int, field string) int {
	if l := lineIn(lines, field); l > 0 {
		return l
	}
	return lines[""]
}

// FieldError returns an *Error about field of s, with s.Source and the
// field's line (see Line): the way for code that checks a Spec after Build
// (packaging, a command) to report a problem as "file:line: field: reason".
// For a further service (an element of Extra) the field is named as the
// file has it: "services[N].exec".
func (s *Spec) FieldError(field, reason string) *Error {
	return &Error{File: s.Source, Line: s.Line(field), Field: s.field + field, Reason: reason}
}
