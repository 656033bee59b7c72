//go:build e2e && linux

package e2e

import (
	"encoding/binary"
	"testing"
	"time"
)

// utmpSize is sizeof(struct utmp) with glibc on 64-bit Linux (the layout
// keeps 32-bit times for compatibility).
const utmpSize = 384

// utmpRunLevel is ut_type RUN_LVL.
const utmpRunLevel = 1

// runlevelRecord encodes the utmp record sysvinit's init writes when it
// enters runlevel cur from prev ('N' for none): user "runlevel", id "~~",
// line "~", ut_pid = cur + 256*prev. runlevel(8), and so invoke-rc.d, read
// it; a container without an init has none, so invoke-rc.d cannot tell
// which rcN.d links apply.
func runlevelRecord(prev, cur byte, now time.Time) []byte {
	b := make([]byte, utmpSize)
	le := binary.LittleEndian
	le.PutUint16(b[0:], utmpRunLevel)                 // ut_type
	le.PutUint32(b[4:], uint32(cur)+256*uint32(prev)) // ut_pid
	copy(b[8:40], "~")                                // ut_line
	copy(b[40:44], "~~")                              // ut_id
	copy(b[44:76], "runlevel")                        // ut_user
	le.PutUint32(b[340:], uint32(now.Unix()))         // ut_tv.tv_sec
	return b
}

func TestRunlevelRecordLayout(t *testing.T) {
	b := runlevelRecord('N', '2', time.Unix(1700000000, 0))
	if len(b) != utmpSize {
		t.Fatalf("len = %d, want %d", len(b), utmpSize)
	}
	if got := binary.LittleEndian.Uint32(b[4:]); got != '2'+256*'N' {
		t.Errorf("ut_pid = %#x, want %#x", got, '2'+256*'N')
	}
	if string(b[44:52]) != "runlevel" || b[52] != 0 {
		t.Errorf("ut_user = %q", b[44:76])
	}
}
