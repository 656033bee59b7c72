package textesc

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"plain text, 100% ok":    "plain text, 100% ok",
		`back\slash "q"`:         `back\slash "q"`,
		"caf\u00e9 \u4e16":       "caf\u00e9 \u4e16",
		"a\nb":                   `a\nb`,
		"\x1b[2J\r\t\a\x00\x7f":  `\x1b[2J\r\t\a\x00\x7f`,
		"\xff\xfe":               `\xff\xfe`,
		"\u202eevil\u2028\u0085": `\u202eevil\u2028\u0085`,
		"\ufffd":                 `\ufffd`,
		"nbsp\u00a0":             `nbsp\u00a0`,
		"\U000e0001":             `\U000e0001`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEscape: the result is valid UTF-8 of printable characters only, and
// text without anything to escape is unchanged.
func FuzzEscape(f *testing.F) {
	f.Add("a\x1b\n\xff\u202e")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Escape(%q) = %q is not UTF-8", s, got)
		}
		for _, r := range got {
			if !Printable(r) {
				t.Fatalf("Escape(%q) = %q holds %U", s, got, r)
			}
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			clean = clean && Printable(r)
		}
		if clean != (got == s) {
			t.Fatalf("Escape(%q) = %q: changed %v, but clean %v", s, got, got != s, clean)
		}
	})
}
