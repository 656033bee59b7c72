package systemd

// An independent reader of the unit syntax the generator writes, following
// systemd's documented rules (systemd.syntax(7), systemd.service(5)) rather
// than the generator's code, so the two can be checked against each other.
// TestAgainstSystemd checks both against the real systemd.

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// unitWhitespace separates words (systemd's WHITESPACE).
const unitWhitespace = " \t\n\r"

func isUnitSpace(c byte) bool { return strings.IndexByte(unitWhitespace, c) >= 0 }

// parseExecStart returns the argv systemd runs for an ExecStart= value that
// holds one command, after load-time unquoting and specifier expansion and
// run-time "$" substitution. Anything whose meaning depends on the
// environment or the unit (a specifier other than %%, a variable, a lone $)
// and anything malformed is an error.
func parseExecStart(v string) ([]string, error) { return unitContext{}.parseExec(v) }

// unitContext is what a unit's values are read with: the values of the
// variables a command line names as whole $NAME words, and the instance of
// a template unit (empty: not a template, %i is an error).
type unitContext struct {
	vars     map[string]string
	instance string
}

// dollarWordRE matches a whole unquoted $NAME word, which systemd replaces
// by the variable's value split at white space (no word when it is empty).
var dollarWordRE = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)

// parseExec is parseExecStart with c's variables and instance.
func (c unitContext) parseExec(v string) ([]string, error) {
	var argv []string
	for p := strings.TrimLeft(v, unitWhitespace); p != ""; p = strings.TrimLeft(p, unitWhitespace) {
		if len(argv) > 0 {
			if p[0] == ';' && (len(p) == 1 || isUnitSpace(p[1])) {
				return nil, errors.New("a second command follows ';'")
			}
			if strings.HasPrefix(p, `\;`) && (len(p) == 2 || isUnitSpace(p[2])) {
				argv = append(argv, ";")
				p = p[2:]
				continue
			}
		}
		raw := p
		if end := strings.IndexAny(p, unitWhitespace); end >= 0 {
			raw = p[:end]
		}
		if len(argv) > 0 && dollarWordRE.MatchString(raw) {
			value, ok := c.vars[raw[1:]]
			if !ok {
				return nil, fmt.Errorf("variable %s is not known", raw)
			}
			argv = append(argv, strings.Fields(value)...)
			p = p[len(raw):]
			continue
		}
		word, rest, err := extractWord(p)
		if err != nil {
			return nil, err
		}
		p = rest
		if word, err = c.expandPercent(word); err != nil {
			return nil, err
		}
		if word, err = expandDollar(word); err != nil {
			return nil, err
		}
		if len(argv) == 0 && !strings.HasPrefix(word, "/") {
			return nil, fmt.Errorf("program %q is not an absolute path or has a prefix", word)
		}
		argv = append(argv, word)
	}
	if len(argv) == 0 {
		return nil, errors.New("empty command line")
	}
	return argv, nil
}

// parseEnvironment returns the assignments of an Environment= value.
func parseEnvironment(v string) ([]string, error) { return unitContext{}.parseEnvironment(v) }

// parseEnvironment is parseEnvironment with c's instance.
func (c unitContext) parseEnvironment(v string) ([]string, error) {
	var out []string
	for p := strings.TrimLeft(v, unitWhitespace); p != ""; p = strings.TrimLeft(p, unitWhitespace) {
		word, rest, err := extractWord(p)
		if err != nil {
			return nil, err
		}
		p = rest
		if word, err = c.expandPercent(word); err != nil {
			return nil, err
		}
		if !strings.Contains(word, "=") || !utf8.ValidString(word) {
			return nil, fmt.Errorf("invalid assignment %q", word)
		}
		out = append(out, word)
	}
	return out, nil
}

// extractWord reads one word: quotes ("..." and '...') may start anywhere
// in the word, and C escapes are decoded inside and outside quotes.
func extractWord(p string) (word, rest string, err error) {
	var buf []byte
	var quote byte
	i := 0
	for i < len(p) {
		c := p[i]
		switch {
		case quote == 0 && isUnitSpace(c):
			return string(buf), p[i:], nil
		case c == '\\':
			b, n, err := unescapeC(p[i+1:])
			if err != nil {
				return "", "", err
			}
			buf = append(buf, b...)
			i += 1 + n
			continue
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		default:
			buf = append(buf, c)
		}
		i++
	}
	if quote != 0 {
		return "", "", fmt.Errorf("unterminated %c quote", quote)
	}
	return string(buf), "", nil
}

// unescapeC decodes the escape after a backslash, returning its bytes and
// how many bytes of s it used.
func unescapeC(s string) ([]byte, int, error) {
	if s == "" {
		return nil, 0, errors.New("backslash at the end")
	}
	if i := strings.IndexByte("abfnrtv", s[0]); i >= 0 {
		return []byte{"\a\b\f\n\r\t\v"[i]}, 1, nil
	}
	switch c := s[0]; c {
	case '\\', '"', '\'':
		return []byte{c}, 1, nil
	case 's':
		return []byte{' '}, 1, nil
	case 'x':
		return number(s, 1, 2, 16)
	case 'u':
		return codepoint(s, 4)
	case 'U':
		return codepoint(s, 8)
	case '0', '1', '2', '3', '4', '5', '6', '7':
		return number(s, 0, 3, 8)
	default:
		return nil, 0, fmt.Errorf("unknown escape \\%c", c)
	}
}

// number decodes digits digits of base base that start at s[skip:] into one
// byte; NUL is refused.
func number(s string, skip, digits, base int) ([]byte, int, error) {
	if len(s) < skip+digits {
		return nil, 0, fmt.Errorf("short escape %q", s)
	}
	n, err := strconv.ParseUint(s[skip:skip+digits], base, 16)
	if err != nil || n == 0 || n > 255 {
		return nil, 0, fmt.Errorf("bad escape %q", s[:skip+digits])
	}
	return []byte{byte(n)}, skip + digits, nil
}

// codepoint decodes \u and \U escapes into UTF-8.
func codepoint(s string, digits int) ([]byte, int, error) {
	if len(s) < 1+digits {
		return nil, 0, fmt.Errorf("short escape %q", s)
	}
	n, err := strconv.ParseUint(s[1:1+digits], 16, 32)
	if err != nil || n == 0 || n > utf8.MaxRune || (n >= 0xd800 && n <= 0xdfff) {
		return nil, 0, fmt.Errorf("bad escape %q", s[:1+digits])
	}
	return utf8.AppendRune(nil, rune(n)), 1 + digits, nil
}

// expandPercent resolves "%%"; any other specifier is an error here.
func expandPercent(w string) (string, error) {
	return expandPair(w, '%')
}

// expandPercent resolves "%%" and, in a template's instance, "%i" (the
// instance as given) and "%I" (unescaped: "-" becomes "/"); any other
// specifier is an error.
func (c unitContext) expandPercent(w string) (string, error) {
	if c.instance == "" {
		return expandPercent(w)
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '%' {
			b.WriteByte(w[i])
			continue
		}
		if i+1 >= len(w) {
			return "", fmt.Errorf("unescaped %% in %q", w)
		}
		switch w[i+1] {
		case '%':
			b.WriteByte('%')
		case 'i':
			b.WriteString(c.instance)
		case 'I':
			b.WriteString(strings.ReplaceAll(c.instance, "-", "/"))
		default:
			return "", fmt.Errorf("specifier %%%c in %q", w[i+1], w)
		}
		i++
	}
	return b.String(), nil
}

// expandDollar resolves "$$"; variables and lone dollars are errors here.
func expandDollar(w string) (string, error) {
	return expandPair(w, '$')
}

func expandPair(w string, c byte) (string, error) {
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != c {
			b.WriteByte(w[i])
			continue
		}
		if i+1 >= len(w) || w[i+1] != c {
			return "", fmt.Errorf("unescaped %c in %q", c, w)
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), nil
}
