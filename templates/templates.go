// Package templates holds the text/template files every generator renders,
// embedded into the binary. Generators parse what they need once, in their
// constructor, with sprig's functions and missingkey=error.
package templates

import "embed"

// FS holds every *.tmpl file of this directory.
//
//go:embed *.tmpl
var FS embed.FS
