package packaging

import (
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

func TestArchMapping(t *testing.T) {
	for _, tc := range []struct{ deb, rpm string }{
		{"amd64", "x86_64"},
		{"arm64", "aarch64"},
		{"i386", "i686"},
		{"armhf", "armv7hl"},
		{"armel", "armv5tel"},
		{"ppc64el", "ppc64le"},
		{"s390x", "s390x"},
		{"riscv64", "riscv64"},
		{"loong64", "loongarch64"},
		{"all", "noarch"},
		{"sparc64", "sparc64"}, // unknown: unchanged both ways
	} {
		if got := RPMArch(tc.deb); got != tc.rpm {
			t.Errorf("RPMArch(%q) = %q, want %q", tc.deb, got, tc.rpm)
		}
		if got := DebianArch(tc.rpm); got != tc.deb {
			t.Errorf("DebianArch(%q) = %q, want %q", tc.rpm, got, tc.deb)
		}
	}
}

func TestFileName(t *testing.T) {
	s := &spec.Spec{Name: "web", Package: spec.Package{Version: "2.0~rc1", Release: "3", Arch: "armhf"}}
	for f, want := range map[Format]string{Deb: "web_2.0~rc1-3_armhf.deb", RPM: "web-2.0~rc1-3.armv7hl.rpm"} {
		if got, err := FileName(s, f); err != nil || got != want {
			t.Errorf("FileName(%s) = %q, %v; want %q", f, got, err, want)
		}
	}
	if _, err := FileName(s, "apk"); err == nil {
		t.Error("FileName(apk) succeeded")
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]int{"deb": 1, "rpm": 1, "all": 2} {
		got, err := ParseFormat(in)
		if err != nil || len(got) != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("tgz"); err == nil {
		t.Error("ParseFormat(tgz) succeeded")
	}
}

func TestRPMRelation(t *testing.T) {
	for in, want := range map[string]string{
		"libc6":                   "libc6",
		"libc6 (>= 2.36)":         "libc6 >= 2.36",
		"foo (<< 2)":              "foo < 2",
		"foo (>> 1:2.0-1)":        "foo > 1:2.0-1",
		"foo (= 1.0)":             "foo = 1.0",
		"python3:any":             "python3",
		"a (>= 1) | b | c (<= 3)": "(a >= 1 or b or c <= 3)",
	} {
		if got := rpmRelation(in); got != want {
			t.Errorf("rpmRelation(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"":             "''",
		"plain":        "plain",
		"two words":    "'two words'",
		"it's":         `'it'\''s'`,
		"$HOME `x`":    "'$HOME `x`'",
		"/usr/bin/x-1": "/usr/bin/x-1",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"hello world": `"hello world"`,
		`a"b\c`:       `"a\"b\\c"`,
		"$x `y`":      "\"\\$x \\`y\\`\"",
	} {
		if got := envQuote(in); got != want {
			t.Errorf("envQuote(%q) = %q, want %q", in, got, want)
		}
	}
	if got := gecosText(`Bob "the" admin, ops: x\y`); got != "Bob  the  admin  ops  x y" {
		t.Errorf("gecosText = %q", got)
	}
}
