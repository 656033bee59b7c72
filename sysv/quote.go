package sysv

import "strings"

// shellQuote returns s as one POSIX shell word that expands to exactly s:
// wrapped in single quotes, each embedded single quote written as '\”.
// Every byte other than NUL survives (sh cannot hold NUL in a word; callers
// reject it first). The empty string becomes ”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
