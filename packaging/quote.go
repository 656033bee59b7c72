package packaging

import "strings"

// shellQuote returns s as one POSIX shell word: single-quoted, with every
// single quote written as '\”. The empty string becomes ”.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// envQuote returns s double-quoted so that systemd's EnvironmentFile= parser
// and a POSIX shell sourcing the file read the same value: backslash, double
// quote, dollar and backquote are escaped with a backslash.
func envQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	return `"` + r.Replace(s) + `"`
}

// gecosText returns s fit for the quoted GECOS field of a sysusers.d line
// and for useradd --comment: no quotes, backslashes, colons or commas.
func gecosText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '"', '\\', ':', ',', '\'':
			return ' '
		}
		return r
	}, s)
}

// commentLines turns s into shell/systemd comment lines: every line of it,
// including those inside a multi-line value, starts with "#".
func commentLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return "#" + strings.ReplaceAll(s, "\n", "\n#")
}

// shellGlob returns the path pattern p as one POSIX shell word that still
// expands: "*", "?" and the class "[0-9]" stay unquoted, everything else is
// quoted as shellQuote does.
func shellGlob(p string) string {
	var b, lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			b.WriteString(shellQuote(lit.String()))
			lit.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '*' || p[i] == '?':
			flush()
			b.WriteByte(p[i])
		case strings.HasPrefix(p[i:], "[0-9]"):
			flush()
			b.WriteString("[0-9]")
			i += len("[0-9]") - 1
		default:
			lit.WriteByte(p[i])
		}
	}
	flush()
	return b.String()
}
