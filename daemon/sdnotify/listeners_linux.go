package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is SD_LISTEN_FDS_START, the first passed descriptor.
const listenFDsStart = 3

func listeners(getenv func(string) string) (map[string][]net.Listener, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	out := map[string][]net.Listener{}
	pidStr, fdsStr := getenv("LISTEN_PID"), getenv("LISTEN_FDS")
	if pidStr == "" || fdsStr == "" {
		return out, nil
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return nil, fmt.Errorf("sdnotify: LISTEN_PID=%q: %w", pidStr, ErrInvalidValue)
	}
	if pid != os.Getpid() {
		return out, nil
	}
	n, err := strconv.Atoi(fdsStr)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("sdnotify: LISTEN_FDS=%q: %w", fdsStr, ErrInvalidValue)
	}
	var names []string
	if s := getenv("LISTEN_FDNAMES"); s != "" {
		names = strings.Split(s, ":")
	}
	var errs []error
	for i := range n {
		fd := listenFDsStart + i
		name := UnknownName
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		unix.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), name)
		l, err := net.FileListener(f) // duplicates fd (close-on-exec)
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("sdnotify: fd %d (%s): %w: %w", fd, name, ErrNotListener, err))
			continue
		}
		out[name] = append(out[name], l)
	}
	if len(errs) > 0 {
		for _, ls := range out {
			for _, l := range ls {
				l.Close()
			}
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}
