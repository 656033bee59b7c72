package systemd

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/daemonctl/daemonctl/spec"
)

// Quoting follows systemd's own parsing of unit files (systemd.service(5),
// "Command lines", and systemd.syntax(7)):
//
//   - ExecStart= is split into words; a word may be quoted with "..." and C
//     escapes (\n, \t, \xNN, \\, \" ...) are decoded inside and outside quotes.
//   - After splitting, each word undergoes specifier expansion: "%%" is a
//     literal "%".
//   - When the command runs, "$NAME" and "${NAME}" are substituted from the
//     environment: "$$" is a literal "$".
//   - Environment= is split and decoded the same way, then specifier-expanded,
//     but no "$" substitution happens.
//
// The quoter emits a word bare when it consists only of characters that need
// no treatment, and as one double-quoted word otherwise. Bytes that are not
// printable UTF-8 are written as \xNN so the unit file itself is valid
// UTF-8 text with no control characters.

// safeBare reports whether r may appear in an unquoted word.
func safeBare(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("/._-+,:=@", r)
}

// dollarMode says how a "$" is written.
type dollarMode int

const (
	dollarLiteral dollarMode = iota // no $ substitution happens: write "$"
	dollarDouble                    // the line undergoes $ substitution: write "$$"
)

// quoteWord returns s as a single word of a systemd word list, every "%"
// escaped.
func quoteWord(s string, dollar dollarMode) string { return quoter{}.word(s, dollar) }

// quoter writes values for one unit. In a template unit (instance set) the
// instance specifiers %i and %I are kept as specifiers, every other "%" is
// escaped (see spec.HasInstanceSpecifier); otherwise every "%" is.
type quoter struct {
	instance bool
}

// newQuoter returns the quoter for the unit of s.
func newQuoter(s *spec.Spec) quoter { return quoter{instance: s.IsTemplate()} }

// specifierAt reports whether s[i:] starts with an instance specifier the
// quoter keeps.
func (q quoter) specifierAt(s string, i int) bool {
	return q.instance && s[i] == '%' && i+1 < len(s) && (s[i+1] == 'i' || s[i+1] == 'I')
}

// word returns s as a single word of a systemd word list.
func (q quoter) word(s string, dollar dollarMode) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safeBare(r) }) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case q.specifierAt(s, i):
			b.WriteString(s[i : i+2])
			i += 2
			continue
		case r == '%':
			b.WriteString("%%")
		case r == '$' && dollar == dollarDouble:
			b.WriteString("$$")
		case r >= '\a' && r <= '\r':
			// \a \b \t \n \v \f \r, the C escapes for bytes 7 to 13.
			b.WriteByte('\\')
			b.WriteByte("abtnvfr"[r-'\a'])
		case !unicode.IsPrint(r) && r != ' ':
			// Other control and format characters, line separators and
			// the like: their bytes, one escape each.
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// execLine returns the value of an ExecStart= line running path with args.
// The path is written with specifiers escaped only: the spec guarantees it
// is an absolute path without quotes, spaces or control characters, which
// is also all systemd accepts there.
func execLine(path string, args []string) string { return quoter{}.exec(path, args) }

// exec returns the value of an Exec*= line running argv[0] with the rest.
func (q quoter) exec(path string, args []string) string {
	var b strings.Builder
	b.WriteString(q.text(path))
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(q.word(a, dollarDouble))
	}
	return b.String()
}

// envAssignment returns one NAME=VALUE word for Environment=.
func envAssignment(name, value string) string { return quoter{}.env(name, value) }

// env returns one NAME=VALUE word for Environment=.
func (q quoter) env(name, value string) string {
	return q.word(name+"="+value, dollarLiteral)
}

// text escapes the specifiers of a free-text or path value that is
// written without quoting (every "%" doubled, so that a setting such as
// Description= reads back verbatim), keeping a template's %i and %I.
func (q quoter) text(s string) string {
	if !q.instance {
		return strings.ReplaceAll(s, "%", "%%")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case q.specifierAt(s, i):
			b.WriteString(s[i : i+2])
			i++
		case s[i] == '%':
			b.WriteString("%%")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
