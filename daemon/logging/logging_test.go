package logging

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/slogtest"
	"time"
)

// tempFile returns a temp file and its JOURNAL_STREAM value.
func tempFile(t *testing.T) (*os.File, string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return f, fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func lines(t *testing.T, f *os.File) []string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestJournal(t *testing.T) {
	f, stream := tempFile(t)
	log := New(f, env(map[string]string{"JOURNAL_STREAM": stream}), slog.LevelDebug)
	log.Debug("dbg", "k", 1)
	log.Info("listening", "addr", "127.0.0.1:7007")
	log.Log(t.Context(), slog.LevelInfo+2, "notice")
	log.Warn("slow client", "after", 1500*time.Millisecond)
	log.Error("accept failed", "err", errors.New("too many open files"))
	want := []string{
		"<7>dbg k=1",
		"<6>listening addr=127.0.0.1:7007",
		"<5>notice",
		"<4>slow client after=1.5s",
		`<3>accept failed err="too many open files"`,
	}
	if got := lines(t, f); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var plainLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) `)

func TestPlain(t *testing.T) {
	f, stream := tempFile(t)
	dev, ino, _ := strings.Cut(stream, ":")
	inoN, _ := strconv.ParseUint(ino, 10, 64)
	for name, js := range map[string]string{
		"unset":           "",
		"other inode":     dev + ":" + strconv.FormatUint(inoN+1, 10),
		"malformed":       "journal",
		"not numbers":     "a:b",
		"device only":     dev + ":",
		"stream of other": "0:0",
	} {
		t.Run(name, func(t *testing.T) {
			if got := FormatFor(f, env(map[string]string{"JOURNAL_STREAM": js})); got != Plain {
				t.Errorf("FormatFor(JOURNAL_STREAM=%q) = %v, want Plain", js, got)
			}
		})
	}
	log := New(f, env(map[string]string{"JOURNAL_STREAM": dev + ":" + strconv.FormatUint(inoN+1, 10)}), slog.LevelInfo)
	log.Debug("hidden")
	log.Info("listening", "addr", "127.0.0.1:7007")
	log.Error("bad\nthing", "path", "/a b", "empty", "")
	got := lines(t, f)
	want := []string{
		"INFO listening addr=127.0.0.1:7007",
		`ERROR bad\nthing path="/a b" empty=""`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !plainLine.MatchString(got[i]) || plainLine.ReplaceAllString(got[i], "") != want[i] {
			t.Errorf("line %d = %q, want TIME %s", i, got[i], want[i])
		}
	}
}

func TestFormatForNil(t *testing.T) {
	if got := FormatFor(nil, env(map[string]string{"JOURNAL_STREAM": "1:1"})); got != Plain {
		t.Errorf("FormatFor(nil) = %v, want Plain", got)
	}
}

func TestGroupsAndAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(&buf, Journal, nil)).With("svc", "echod").WithGroup("conn")
	log.Info("closed", "peer", "10.0.0.1:5000", slog.Group("bytes", "in", 10, "out", 12), "quote", `a"b`)
	want := `<6>closed svc=echod conn.peer=10.0.0.1:5000 conn.bytes.in=10 conn.bytes.out=12 conn.quote="a\"b"` + "\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

// TestSlogConformance runs the standard library's handler test suite on the
// plain format, parsing each line back into a map.
func TestSlogConformance(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, Plain, slog.LevelDebug)
	results := func() []map[string]any {
		var out []map[string]any
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			m, err := parsePlain(sc.Text())
			if err != nil {
				t.Fatalf("%q: %v", sc.Text(), err)
			}
			out = append(out, m)
		}
		return out
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Error(err)
	}
}

// parsePlain parses "[TIME] LEVEL msg k=v ..." where msg is one word, as in
// slogtest's records.
func parsePlain(line string) (map[string]any, error) {
	fields, err := splitFields(line)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if len(fields) > 0 {
		if ts, err := time.Parse(TimeFormat, fields[0]); err == nil {
			m[slog.TimeKey] = ts
			fields = fields[1:]
		}
	}
	if len(fields) < 2 {
		return nil, fmt.Errorf("no level or message")
	}
	m[slog.LevelKey], m[slog.MessageKey] = fields[0], fields[1]
	for _, kv := range fields[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("field %q is not key=value", kv)
		}
		path := strings.Split(k, ".")
		cur := m
		for _, p := range path[:len(path)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[path[len(path)-1]] = v
	}
	return m, nil
}

// splitFields splits on spaces outside double quotes and unquotes values.
func splitFields(line string) ([]string, error) {
	var out []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		i := 0
		for i < len(line) && line[i] != ' ' {
			if line[i] == '"' {
				q, err := strconv.QuotedPrefix(line[i:])
				if err != nil {
					return nil, err
				}
				i += len(q)
				continue
			}
			i++
		}
		f := line[:i]
		if k, v, ok := strings.Cut(f, "="); ok && strings.HasPrefix(v, `"`) {
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, err
			}
			f = k + "=" + u
		}
		out = append(out, f)
		line = line[i:]
	}
	return out, nil
}
