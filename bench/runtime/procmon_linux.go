package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The process-events connector (linux/cn_proc.h): the kernel stamps every
// exec and exit with CLOCK_MONOTONIC nanoseconds, so event times are exact
// and measuring them costs the measured processes nothing.
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procEventExec     = 0x00000002
	procEventExit     = 0x80000000
	nlmsgHdrLen       = 16
	cnMsgLen          = 20
)

// execEvent is one exec(2), with what /proc said right after it.
type execEvent struct {
	pid  int
	ts   int64 // CLOCK_MONOTONIC ns, from the kernel
	exe  string
	args []string
}

type execWaiter struct {
	since int64
	match func(execEvent) bool
	ch    chan execEvent
}

// procMon follows exec and exit events of every process on the machine.
type procMon struct {
	fd int

	mu          sync.Mutex
	execWaiters []*execWaiter
	exitWaiters map[int][]chan int64
	exits       map[int]int64
	overruns    int
}

func newProcMon(r *reaper) (*procMon, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("procmon: socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("procmon: bind: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 16<<20)
	ne := binary.NativeEndian
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ne.PutUint32(msg[12:], uint32(os.Getpid()))
	ne.PutUint32(msg[16:], cnIdxProc)
	ne.PutUint32(msg[20:], cnValProc)
	ne.PutUint16(msg[32:], 4)
	ne.PutUint32(msg[36:], procCnMcastListen)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("procmon: subscribe: %w", err)
	}
	m := &procMon{fd: fd, exitWaiters: map[int][]chan int64{}, exits: map[int]int64{}}
	go m.loop()
	// The kernel ignores subscriptions from outside the initial PID and user
	// namespaces without saying so: prove that events arrive.
	const probe = "0.2" // sleep long enough for /proc/PID/exe to be read
	ch := m.expectExec(mono(), func(e execEvent) bool { return len(e.args) == 2 && e.args[0] == sleepPath && e.args[1] == probe })
	if _, err := r.run(10*time.Second, sleepPath, probe); err != nil {
		return nil, err
	}
	select {
	case <-ch:
		return m, nil
	case <-time.After(3 * time.Second):
		return nil, errors.New("procmon: no process events (not in the initial PID namespace, or no CAP_NET_ADMIN?)")
	}
}

func (m *procMon) loop() {
	buf := make([]byte, 1<<16)
	ne := binary.NativeEndian
	for {
		n, _, err := unix.Recvfrom(m.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.ENOBUFS) {
				m.mu.Lock()
				m.overruns++
				m.mu.Unlock()
				continue
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(ne.Uint32(b[0:]))
			if l < nlmsgHdrLen || l > len(b) {
				break
			}
			ev := b[nlmsgHdrLen+cnMsgLen : l]
			if len(ev) >= 24 {
				what, ts := ne.Uint32(ev[0:]), int64(ne.Uint64(ev[8:]))
				pid, tgid := int(ne.Uint32(ev[16:])), int(ne.Uint32(ev[20:]))
				if pid == tgid {
					switch what {
					case procEventExec:
						m.onExec(pid, ts)
					case procEventExit:
						m.onExit(pid, ts)
					}
				}
			}
			b = b[(l+3)&^3:]
		}
	}
}

func (m *procMon) onExec(pid int, ts int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.execWaiters) == 0 {
		return
	}
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	raw, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	e := execEvent{pid: pid, ts: ts, exe: exe, args: strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")}
	kept := m.execWaiters[:0]
	for _, w := range m.execWaiters {
		if ts >= w.since && w.match(e) {
			w.ch <- e
			continue
		}
		kept = append(kept, w)
	}
	m.execWaiters = kept
}

func (m *procMon) onExit(pid int, ts int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.exits) > 200000 {
		m.exits = map[int]int64{}
	}
	m.exits[pid] = ts
	for _, ch := range m.exitWaiters[pid] {
		ch <- ts
	}
	delete(m.exitWaiters, pid)
}

// expectExec returns a channel that receives the first exec at or after
// since that match accepts.
func (m *procMon) expectExec(since int64, match func(execEvent) bool) <-chan execEvent {
	ch := make(chan execEvent, 1)
	m.mu.Lock()
	m.execWaiters = append(m.execWaiters, &execWaiter{since: since, match: match, ch: ch})
	m.mu.Unlock()
	return ch
}

// cancelExec drops a waiter that will not be satisfied.
func (m *procMon) cancelExec(ch <-chan execEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.execWaiters[:0]
	for _, w := range m.execWaiters {
		if w.ch != ch {
			kept = append(kept, w)
		}
	}
	m.execWaiters = kept
}

// expectExit returns a channel that receives the time pid exited, at or
// after since (also when that already happened).
func (m *procMon) expectExit(pid int, since int64) <-chan int64 {
	ch := make(chan int64, 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if ts, ok := m.exits[pid]; ok && ts >= since {
		ch <- ts
		return ch
	}
	m.exitWaiters[pid] = append(m.exitWaiters[pid], ch)
	return ch
}

func (m *procMon) dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overruns
}

// waitExec waits for an exec event or fails after timeout.
func waitExec(ch <-chan execEvent, what string, timeout time.Duration) (execEvent, error) {
	select {
	case e := <-ch:
		return e, nil
	case <-time.After(timeout):
		return execEvent{}, fmt.Errorf("%s: no exec within %v", what, timeout)
	}
}

// waitTS waits for an exit time or fails after timeout.
func waitTS(ch <-chan int64, what string, timeout time.Duration) (int64, error) {
	select {
	case ts := <-ch:
		return ts, nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("%s: no exit within %v", what, timeout)
	}
}

func mono() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
