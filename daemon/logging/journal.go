package logging

import (
	"os"
	"strconv"
	"strings"
)

// FormatFor returns Journal when JOURNAL_STREAM, read through getenv (nil
// means os.Getenv), is "DEV:INODE" and matches f's fstat(2), and Plain
// otherwise, including when f is nil, cannot be stat'ed or the variable is
// malformed (anything but two unsigned decimal numbers that fit 64 bits,
// joined by one colon). Only the matching check makes it safe to trust a
// variable that child processes inherit even after their stderr was
// redirected.
func FormatFor(f *os.File, getenv func(string) string) Format {
	if getenv == nil {
		getenv = os.Getenv
	}
	if f == nil {
		return Plain
	}
	dev, ino, ok := parseJournalStream(getenv("JOURNAL_STREAM"))
	if !ok {
		return Plain
	}
	if fdev, fino, ok := devIno(f); ok && fdev == dev && fino == ino {
		return Journal
	}
	return Plain
}

// parseJournalStream splits a JOURNAL_STREAM value "DEV:INODE".
func parseJournalStream(v string) (dev, ino uint64, ok bool) {
	devStr, inoStr, ok := strings.Cut(v, ":")
	if !ok {
		return 0, 0, false
	}
	dev, err1 := strconv.ParseUint(devStr, 10, 64)
	ino, err2 := strconv.ParseUint(inoStr, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return dev, ino, true
}
