package packaging

import (
	"strings"
	"testing"
)

// unquoteShell reads one POSIX shell word made of unquoted characters,
// '...' runs and backslash escapes, as sh does; ok is false for anything
// else (a space, an unterminated quote, an unquoted special character).
func unquoteShell(w string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c == '\'':
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(w[i+1 : i+1+j])
			i += j + 1
		case c == '\\':
			if i+1 == len(w) {
				return "", false
			}
			b.WriteByte(w[i+1])
			i++
		case strings.IndexByte(" \t\n\"$`;&|<>()*?[]{}~#!=%", c) >= 0 && c != '=':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "a", "it's", "a b", "$(rm -rf /)", "'''", "\\", "\n", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		got, ok := unquoteShell(q)
		if !ok || got != s {
			t.Fatalf("shellQuote(%q) = %q reads back as %q (ok=%v)", s, q, got, ok)
		}
	})
}
