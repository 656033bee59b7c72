package main

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// fileWatch records when each file in a directory was first written or
// renamed into place. Times are taken when the event is read, so they lag
// the write by the event's delivery (tens of microseconds).
type fileWatch struct {
	fd    int
	mu    sync.Mutex
	first map[string]int64
}

func newFileWatch(dir string) (*fileWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MODIFY|unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		return nil, fmt.Errorf("inotify: watch %s: %w", dir, err)
	}
	w := &fileWatch{fd: fd, first: map[string]int64{}}
	go w.loop()
	return w, nil
}

func (w *fileWatch) loop() {
	buf := make([]byte, 1<<16)
	ne := binary.NativeEndian
	for {
		n, err := unix.Read(w.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		now := mono()
		for b := buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
			l := int(ne.Uint32(b[12:]))
			if unix.SizeofInotifyEvent+l > len(b) {
				break
			}
			name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+l]), "\x00")
			w.mu.Lock()
			if _, ok := w.first[name]; !ok {
				w.first[name] = now
			}
			w.mu.Unlock()
			b = b[unix.SizeofInotifyEvent+l:]
		}
	}
}

func (w *fileWatch) reset(name string) {
	w.mu.Lock()
	delete(w.first, name)
	w.mu.Unlock()
}

// when waits up to timeout for name to be written and returns the time.
func (w *fileWatch) when(name string, timeout time.Duration) (int64, bool) {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		ts, ok := w.first[name]
		w.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return ts, ok
		}
		time.Sleep(time.Millisecond)
	}
}
