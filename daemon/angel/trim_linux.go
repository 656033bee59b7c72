package angel

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimResident drops this process's resident pages of its own executable's
// read-only mappings (code and constant data). The angel runs in the
// program's binary, which may be large, and the kernel maps file pages in
// around every fault, so the whole binary tends to stay resident although
// the wait loop needs a few pages of it. MADV_DONTNEED on a private,
// never-written file mapping only unmaps: the pages come back from the
// page cache on the next touch, so this changes resident size, not
// behaviour. Writable mappings (data, bss, heap) are left alone.
func trimResident() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	type span struct{ start, end uint64 }
	var spans []span
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-0052c000 r-xp 00000000 08:01 1234  /usr/bin/daemonctl
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(lo, 16, 64)
		e, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && e > s {
			spans = append(spans, span{s, e})
		}
	}
	for _, sp := range spans {
		unix.Syscall(unix.SYS_MADVISE, uintptr(sp.start), uintptr(sp.end-sp.start), unix.MADV_DONTNEED)
	}
}
