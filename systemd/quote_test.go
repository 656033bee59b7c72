package systemd

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQuoteWord(t *testing.T) {
	tests := []struct {
		in, exec, env string // exec: written for ExecStart=; env: for Environment=
	}{
		{"plain", "plain", "plain"},
		{"/usr/bin/x", "/usr/bin/x", "/usr/bin/x"},
		{"--opt=a,b:c@d+e", "--opt=a,b:c@d+e", "--opt=a,b:c@d+e"},
		{"", `""`, `""`},
		{"a b", `"a b"`, `"a b"`},
		{`say "hi"`, `"say \"hi\""`, `"say \"hi\""`},
		{"it's", `"it's"`, `"it's"`},
		{`back\slash`, `"back\\slash"`, `"back\\slash"`},
		{`\`, `"\\"`, `"\\"`},
		{"$HOME", `"$$HOME"`, `"$HOME"`},
		{"${X}", `"$${X}"`, `"${X}"`},
		{"100%", `"100%%"`, `"100%%"`},
		{"%n%%", `"%%n%%%%"`, `"%%n%%%%"`},
		{";", `";"`, `";"`},
		{`\;`, `"\\;"`, `"\\;"`},
		{"a;b", `"a;b"`, `"a;b"`},
		{"tab\there", `"tab\there"`, `"tab\there"`},
		{"line\nbreak\r", `"line\nbreak\r"`, `"line\nbreak\r"`},
		{"\a\b\f\v", `"\a\b\f\v"`, `"\a\b\f\v"`},
		{"\x01\x1b\x7f", `"\x01\x1b\x7f"`, `"\x01\x1b\x7f"`},
		{"\xff\xfe", `"\xff\xfe"`, `"\xff\xfe"`},
		{"caf\xc3\xa9", `"café"`, `"café"`},
		{"\u0085", `"\xc2\x85"`, `"\xc2\x85"`},
		{"\u2028", `"\xe2\x80\xa8"`, `"\xe2\x80\xa8"`},
		{"nbsp\u00a0", `"nbsp\xc2\xa0"`, `"nbsp\xc2\xa0"`},
		{"#comment", `"#comment"`, `"#comment"`},
		{"*?[]{}()<>|&!~`", "\"*?[]{}()<>|&!~`\"", "\"*?[]{}()<>|&!~`\""},
	}
	for _, tt := range tests {
		if got := quoteWord(tt.in, dollarDouble); got != tt.exec {
			t.Errorf("quoteWord(%q, dollarDouble) = %s, want %s", tt.in, got, tt.exec)
		}
		if got := quoteWord(tt.in, dollarLiteral); got != tt.env {
			t.Errorf("quoteWord(%q, dollarLiteral) = %s, want %s", tt.in, got, tt.env)
		}
		argv, err := parseExecStart("/bin/true " + tt.exec)
		if err != nil || !slices.Equal(argv, []string{"/bin/true", tt.in}) {
			t.Errorf("parseExecStart(%s) = %q, %v; want [/bin/true %q]", tt.exec, argv, err, tt.in)
		}
	}
}

func TestExecLine(t *testing.T) {
	args := []string{"--listen", "127.0.0.1:7007", "two words", "", "$X", ";", "50%"}
	got := execLine("/usr/bin/echod", args)
	want := `/usr/bin/echod --listen 127.0.0.1:7007 "two words" "" "$$X" ";" "50%%"`
	if got != want {
		t.Fatalf("execLine = %s\nwant       %s", got, want)
	}
	argv, err := parseExecStart(got)
	if err != nil || !slices.Equal(argv, append([]string{"/usr/bin/echod"}, args...)) {
		t.Fatalf("parse back = %q, %v", argv, err)
	}
}

func TestEnvAssignment(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"A", "b", "A=b"},
		{"GREETING", "hello from echod", `"GREETING=hello from echod"`},
		{"P", "$PATH:%h", `"P=$PATH:%%h"`},
		{"Q", `"x"` + "\n", `"Q=\"x\"\n"`},
		{"E", "", "E="},
	} {
		got := envAssignment(tt.name, tt.value)
		if got != tt.want {
			t.Errorf("envAssignment(%q, %q) = %s, want %s", tt.name, tt.value, got, tt.want)
		}
		env, err := parseEnvironment(got)
		if err != nil || !slices.Equal(env, []string{tt.name + "=" + tt.value}) {
			t.Errorf("parseEnvironment(%s) = %q, %v", got, env, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{-time.Second, "0"},
		{time.Nanosecond, "1us"},
		{1500 * time.Nanosecond, "2us"},
		{500 * time.Millisecond, "500ms"},
		{time.Second, "1s"},
		{1500 * time.Millisecond, "1s 500ms"},
		{90 * time.Second, "1min 30s"},
		{time.Hour + time.Second, "1h 1s"},
		{49 * time.Hour, "49h"},
		// Near the largest Go duration, rounding up used to overflow into
		// a negative count and an empty value.
		{math.MaxInt64, "2562047h 47min 16s 854ms 776us"},
		{math.MaxInt64 - 999, "2562047h 47min 16s 854ms 775us"},
		{math.MinInt64, "0"},
	} {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnitParserRejects(t *testing.T) {
	// The test reader must refuse what systemd would not read back as a
	// literal argv, or the round-trip checks could pass vacuously.
	for _, v := range []string{
		`/bin/x "open`, `/bin/x a\`, `/bin/x \q`, `/bin/x \x00`, `/bin/x \x4`,
		`/bin/x %n`, `/bin/x 100%`, `/bin/x $HOME`, `/bin/x ${A}`, `/bin/x $`,
		`/bin/x a ; /bin/y`, `-/bin/x`, `x`, ``, `/bin/x \u0000`, `/bin/x \ud800`, `/bin/x \400`,
	} {
		if argv, err := parseExecStart(v); err == nil {
			t.Errorf("parseExecStart(%s) = %q, want an error", v, argv)
		}
	}
	for v, want := range map[string][]string{
		`/bin/x a"b c"d 'e f'`:       {"/bin/x", "ab cd", "e f"},
		`/bin/x \; \x41\101\u00e9\s`: {"/bin/x", ";", "AAé "},
		`/bin/x "\\;" ";"`:           {"/bin/x", `\;`, ";"},
		"/bin/x\t$$ %% ''":           {"/bin/x", "$", "%", ""},
	} {
		if argv, err := parseExecStart(v); err != nil || !slices.Equal(argv, want) {
			t.Errorf("parseExecStart(%s) = %q, %v; want %q", v, argv, err, want)
		}
	}
}

// TestTemplateQuoting: in a template unit %i and %I stay specifiers and
// every other "%" is escaped, in ExecStart= words, Environment= and free
// text; outside a template every "%" is escaped. Each word reads back, by
// the test's reader, as systemd expands it for instance "a-b".
func TestTemplateQuoting(t *testing.T) {
	tmpl, plain := quoter{instance: true}, quoter{}
	ctx := unitContext{instance: "a-b"}
	tests := []struct {
		in, word, text, expanded string
	}{
		{"%i", `"%i"`, "%i", "a-b"},
		{"%I", `"%I"`, "%I", "a/b"},
		{"/etc/app-%i.conf", `"/etc/app-%i.conf"`, "/etc/app-%i.conf", "/etc/app-a-b.conf"},
		{"100%", `"100%%"`, "100%%", "100%"},
		{"%n %p %%", `"%%n %%p %%%%"`, "%%n %%p %%%%", "%n %p %%"},
		{"%%i", `"%%%i"`, "%%%i", "%a-b"},
		{"%", `"%%"`, "%%", "%"},
		{"%i%", `"%i%%"`, "%i%%", "a-b%"},
		{"x%", `"x%%"`, "x%%", "x%"},
	}
	for _, tt := range tests {
		if got := tmpl.word(tt.in, dollarDouble); got != tt.word {
			t.Errorf("template word(%q) = %s, want %s", tt.in, got, tt.word)
		}
		if got := tmpl.text(tt.in); got != tt.text {
			t.Errorf("template text(%q) = %s, want %s", tt.in, got, tt.text)
		}
		if got := plain.text(tt.in); got != strings.ReplaceAll(tt.in, "%", "%%") {
			t.Errorf("text(%q) = %s, want every %% doubled", tt.in, got)
		}
		argv, err := ctx.parseExec("/bin/true " + tt.word)
		if err != nil || !slices.Equal(argv, []string{"/bin/true", tt.expanded}) {
			t.Errorf("%s reads back as %q (%v), want %q", tt.word, argv, err, tt.expanded)
		}
		env, err := ctx.parseEnvironment(tmpl.env("X", tt.in))
		if err != nil || !slices.Equal(env, []string{"X=" + tt.expanded}) {
			t.Errorf("Environment=%s reads back as %q (%v)", tmpl.env("X", tt.in), env, err)
		}
	}
}
