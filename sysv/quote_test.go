package sysv

import (
	"os/exec"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"plain", "'plain'"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"''", `''\'''\'''`},
		{`$HOME "x" \n`, `'$HOME "x" \n'`},
		{"`id`;$(id)&|<>", "'`id`;$(id)&|<>'"},
		{"line\nbreak", "'line\nbreak'"},
		{"*?[a]~#!", "'*?[a]~#!'"},
		{"\xff\x81", "'\xff\x81'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestShellQuoteRoundTrip has dash, bash and busybox sh expand each quoted
// word back.
func TestShellQuoteRoundTrip(t *testing.T) {
	words := []string{"", "it's", "a\nb", `\'"$x`, "-n", "-e", "\t lead", "é\xe2\x81\x82", "\x81\x82\x83\x84\x85\x86\x87\x88"}
	for _, sh := range shells(t) {
		for _, w := range words {
			out, err := exec.Command(sh[0], append(sh[1:], "-c", "printf '%s' "+shellQuote(w))...).Output()
			if err != nil {
				t.Fatalf("%v: %v", sh, err)
			}
			if string(out) != w {
				t.Errorf("%v: %q came back as %q", sh, w, out)
			}
		}
	}
}
