package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format selects how a Handler writes a record.
type Format int

const (
	// Plain writes "TIME LEVEL message key=value ...", for files and terminals.
	// Its zero value makes Plain the default.
	Plain Format = iota
	// Journal writes "<N>message key=value ...", where N is the sd-daemon(3)
	// priority journald parses from a stream (7 debug, 6 info, 5 notice for
	// levels between info and warn, 4 warning, 3 error).
	Journal
)

// TimeFormat is the layout of the time field in Plain output.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// New returns a logger writing to w (nil means os.Stderr) at level and
// above. It writes the Journal format when JOURNAL_STREAM, read through
// getenv (nil means os.Getenv), names w's device and inode, that is when w is
// the stream systemd connected to journald; otherwise Plain.
func New(w *os.File, getenv func(string) string, level slog.Level) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	return slog.New(NewHandler(w, FormatFor(w, getenv), level))
}

// NewHandler returns a slog.Handler writing one line per record to w in
// format, for records at level and above (a nil level means slog.LevelInfo;
// pass a *slog.LevelVar to change it at run time). Writes are serialised, so
// the handler and the handlers derived from it are safe for concurrent use.
// Newlines in messages and values are escaped so that a record is always one
// line: journald would otherwise split it into entries without a priority.
func NewHandler(w io.Writer, format Format, level slog.Leveler) slog.Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &handler{out: &output{w: w}, format: format, level: level}
}

// output is the writer shared by a handler and the handlers derived from it.
type output struct {
	mu sync.Mutex
	w  io.Writer
}

type handler struct {
	out    *output
	format Format
	level  slog.Leveler
	attrs  []byte // preformatted " key=value" pairs from WithAttrs
	prefix string // open groups, "a.b."
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	if h.format == Journal {
		buf = append(buf, '<', byte('0'+priority(r.Level)), '>')
	} else {
		if !r.Time.IsZero() {
			buf = r.Time.AppendFormat(buf, TimeFormat)
			buf = append(buf, ' ')
		}
		buf = append(buf, r.Level.String()...)
		buf = append(buf, ' ')
	}
	buf = appendEscaped(buf, r.Message)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	buf = append(buf, '\n')
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := h.out.w.Write(buf)
	return err
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// priority maps a level to a syslog priority as sd-daemon(3) expects.
func priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l > slog.LevelInfo:
		return 5
	case l >= slog.LevelInfo:
		return 6
	default:
		return 7
	}
}

func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			buf = appendAttr(buf, prefix, ga)
		}
		return buf
	}
	buf = append(buf, ' ')
	buf = appendValue(buf, prefix+a.Key)
	buf = append(buf, '=')
	var s string
	switch v := a.Value; v.Kind() {
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = v.String()
		}
	default:
		s = v.String()
	}
	return appendValue(buf, s)
}

// appendValue appends s, quoted when it is empty or contains spaces, quotes,
// '=' or anything unprintable.
func appendValue(buf []byte, s string) []byte {
	if needsQuote(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == '=' || r == '"' || r == '\\' || r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

var escaper = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// appendEscaped appends a message with line breaks escaped.
func appendEscaped(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, "\n\r") {
		return append(buf, s...)
	}
	return append(buf, escaper.Replace(s)...)
}
