package textesc

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that is not printable written as
// a Go escape: \n, \t and the like, \xNN for other ASCII control bytes and
// for bytes that are not valid UTF-8, \uNNNN (or \UNNNNNNNN) for other
// characters. The ASCII space is printable; every other white space is
// escaped. A string with nothing to escape is returned as it is.
func Escape(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return !Printable(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for rest := s[i:]; rest != ""; {
		r, size := utf8.DecodeRuneInString(rest)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(rest[0])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(rest[0])&0xf, 16))
		case Printable(r):
			b.WriteString(rest[:size])
		default:
			q := strconv.QuoteRuneToASCII(r) // '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		rest = rest[size:]
	}
	return b.String()
}

// Printable reports whether r is shown as itself by Escape: a letter, mark,
// number, punctuation, symbol or the ASCII space, and not U+FFFD (which
// stands for bytes that were not valid UTF-8).
func Printable(r rune) bool {
	return r != utf8.RuneError && unicode.IsPrint(r)
}
