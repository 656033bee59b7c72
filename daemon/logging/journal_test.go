package logging

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzJournalStream: never panics; a value is accepted only as two
// unsigned decimal numbers joined by one colon, and then Journal is chosen
// only for a file with exactly that device and inode.
func FuzzJournalStream(f *testing.F) {
	for _, s := range []string{"8:1234", "0:0", "18446744073709551615:18446744073709551615", "18446744073709551616:1",
		"+8:1", "8:-1", " 8:1", "8:1:2", ":", "8", "", "0x8:1", "8_0:1", "８:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		dev, ino, ok := parseJournalStream(v)
		if !ok {
			if dev != 0 || ino != 0 {
				t.Fatalf("rejected %q with %d:%d", v, dev, ino)
			}
		} else {
			d, i, _ := strings.Cut(v, ":")
			if strings.Trim(d, "0123456789") != "" || strings.Trim(i, "0123456789") != "" || d == "" || i == "" {
				t.Fatalf("accepted %q", v)
			}
			if strings.TrimLeft(d, "0") != strings.TrimLeft(strconv.FormatUint(dev, 10), "0") ||
				strings.TrimLeft(i, "0") != strings.TrimLeft(strconv.FormatUint(ino, 10), "0") {
				t.Fatalf("%q parsed as %d:%d", v, dev, ino)
			}
		}
		file, stream := tempFile(t)
		want := Plain
		if fdev, fino, _ := devIno(file); ok && fdev == dev && fino == ino {
			want = Journal
		}
		if got := FormatFor(file, env(map[string]string{"JOURNAL_STREAM": v})); got != want {
			t.Fatalf("JOURNAL_STREAM=%q for a file at %s: %v, want %v", v, stream, got, want)
		}
	})
}

// TestJournalStreamVariants: only the exact "DEV:INODE" of the stream
// selects Journal; padded, signed or extended forms of it do not.
func TestJournalStreamVariants(t *testing.T) {
	f, stream := tempFile(t)
	if got := FormatFor(f, env(map[string]string{"JOURNAL_STREAM": stream})); got != Journal {
		t.Fatalf("JOURNAL_STREAM=%q: %v, want Journal", stream, got)
	}
	dev, ino, _ := strings.Cut(stream, ":")
	for _, v := range []string{" " + stream, stream + "\n", stream + ":", "+" + stream, dev + ":+" + ino, dev + "::" + ino,
		dev + ":" + ino + "0", ino + ":" + dev, dev + ":" + ino + "\x00"} {
		if got := FormatFor(f, env(map[string]string{"JOURNAL_STREAM": v})); got != Plain {
			t.Errorf("JOURNAL_STREAM=%q: %v, want Plain", v, got)
		}
	}
}
