package systemd

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// formatDuration writes d as a systemd time span ("1s", "500ms",
// "1min 30s", "2h 5min"). systemd counts in microseconds: a non-zero d is
// rounded up to the next microsecond so that it never turns into 0, which
// several settings read as "off" or "infinity". A d <= 0 gives "0". Every
// other time.Duration, up to the largest, gives a positive span (systemd
// reads up to about 584,000 years, Go durations end at 292).
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	us := int64(d / time.Microsecond)
	if d%time.Microsecond != 0 {
		us++ // cannot overflow: us is at most MaxInt64/1000
	}
	units := []struct {
		name string
		us   int64
	}{
		{"h", int64(time.Hour / time.Microsecond)},
		{"min", int64(time.Minute / time.Microsecond)},
		{"s", int64(time.Second / time.Microsecond)},
		{"ms", int64(time.Millisecond / time.Microsecond)},
		{"us", 1},
	}
	var parts []string
	for _, u := range units {
		if n := us / u.us; n > 0 {
			parts = append(parts, strconv.FormatInt(n, 10)+u.name)
			us -= n * u.us
		}
	}
	return strings.Join(parts, " ")
}

// scaleDuration returns n*d, or the largest time.Duration when the product
// does not fit; n and d are not negative.
func scaleDuration(d time.Duration, n int64) time.Duration {
	if n != 0 && d > time.Duration(math.MaxInt64/n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}
