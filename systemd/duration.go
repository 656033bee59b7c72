package systemd

import (
	"strconv"
	"strings"
	"time"
)

// formatDuration writes d as a systemd time span ("1s", "500ms",
// "1min 30s", "2h 5min"). systemd counts in microseconds: a non-zero d is
// rounded up to the next microsecond so that it never turns into 0, which
// several settings read as "off" or "infinity". A d <= 0 gives "0".
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	us := int64((d + time.Microsecond - 1) / time.Microsecond)
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
