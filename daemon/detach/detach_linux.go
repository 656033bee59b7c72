package detach

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Start runs cmd in a new session, not as the session leader, in a process
// group of its own, and returns its pid once it has executed. See the
// package documentation for the two ways it does so.
//
// When the caller is not a process-group leader, Start moves the caller
// into the new session: the caller loses its controlling terminal (but
// keeps its open descriptors) and is expected to exit soon, which
// reparents the program. Errors come from opening /dev/null, from the
// program's exec (*os.PathError, e.g. not found or permission denied,
// with the credential change failures of Go's fork/exec), or wrap
// ErrStage.
func Start(cmd *Command) (int, error) {
	files, closeNull, err := stdio(cmd.Files)
	if err != nil {
		return 0, err
	}
	defer closeNull()
	args := cmd.Args
	if len(args) == 0 {
		args = []string{cmd.Path}
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if err := CloseOnExec(); err != nil {
		return 0, err
	}
	pid := os.Getpid()
	moved := unix.Getpgrp() == pid && leaveOwnGroup(pid)
	if unix.Getpgrp() != pid {
		// After setsid this process has no controlling terminal, so no
		// hangup can reach it or the child: no SIGHUP handler is needed
		// (and starting Go's signal loop costs more than the whole exec).
		if _, err := unix.Setsid(); err == nil {
			// syscall.ForkExec rather than os.StartProcess: no pidfd probe
			// fork, and nobody here will wait for the child.
			fds := make([]uintptr, len(files))
			for i, f := range files {
				fds[i] = f.Fd()
			}
			child, err := syscall.ForkExec(cmd.Path, args, &syscall.ProcAttr{
				Dir: cmd.Dir, Env: env, Files: fds,
				Sys: &syscall.SysProcAttr{Setpgid: true, Credential: cmd.Credential},
			})
			if err != nil {
				return 0, fmt.Errorf("detach: %w", &os.PathError{Op: "fork/exec", Path: cmd.Path, Err: err})
			}
			return child, nil
		}
		if moved {
			// Our group still has other members (the rest of a pipeline):
			// back to it, so that the shell's job control still reaches us.
			_ = unix.Setpgid(0, pid)
		}
	}
	// The session-leading intermediate is in our session until it calls
	// setsid: a hangup of our terminal in that window must not kill it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return startStage(cmd.Path, args, env, cmd.Dir, files, cmd.Credential)
}

// leaveOwnGroup moves a process-group leader that does not lead its
// session (a job started by a shell with job control) into its parent's
// process group, when that group is in the same session, and reports
// whether it moved. Its own group is then empty, unless other members of a
// pipeline share it, so setsid(2) may create a new session with the caller
// as its leader, which spares the re-executed stage; when setsid still
// fails, Start moves the caller back. The caller does nothing with the
// terminal in between, so it cannot be stopped for background I/O.
func leaveOwnGroup(pid int) bool {
	sid, err := unix.Getsid(0)
	if err != nil || sid == pid {
		return false // a session leader may not change its group
	}
	ppid := os.Getppid()
	psid, err := unix.Getsid(ppid)
	if err != nil || psid != sid {
		return false
	}
	pgid, err := unix.Getpgid(ppid)
	if err != nil || pgid == pid {
		return false
	}
	return unix.Setpgid(0, pgid) == nil
}

// startStage re-executes /proc/self/exe as the session-leading
// intermediate and reads the program's pid (or exec error) from it.
func startStage(path string, args, env []string, dir string, files []*os.File, cred *syscall.Credential) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("detach: %w", err)
	}
	defer r.Close()
	env = append(env[:len(env):len(env)], envExec+"="+path, envFiles+"="+strconv.Itoa(len(files)))
	p, err := os.StartProcess("/proc/self/exe", args, &os.ProcAttr{
		Dir: dir, Env: env, Files: append(files[:len(files):len(files)], w),
		Sys: &syscall.SysProcAttr{Setsid: true, Credential: cred},
	})
	w.Close()
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrStage, err)
	}
	defer p.Wait()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("%w: %w", ErrStage, err)
	}
	kind, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
	switch kind {
	case "pid":
		if n, err := strconv.Atoi(rest); err == nil && n > 0 {
			return n, nil
		}
	case "errno":
		// The program's exec failed: the same *os.PathError as on the
		// direct path, so that errors.Is works on it.
		if n, err := strconv.Atoi(rest); err == nil && n > 0 {
			return 0, fmt.Errorf("detach: %w", &os.PathError{Op: "fork/exec", Path: path, Err: syscall.Errno(n)})
		}
	case "error":
		return 0, fmt.Errorf("detach: %s", rest)
	}
	return 0, fmt.Errorf("%w: status %q", ErrStage, line)
}

// Stage runs the intermediate stage when this process was started by
// Start as one, and then returns the process exit code and true; the
// caller must exit with it at once. Otherwise it returns 0, false and does
// nothing. Call it first thing in main, before any other initialisation,
// with os.Getenv.
func Stage(getenv func(string) string) (int, bool) {
	path := getenv(envExec)
	if path == "" {
		return 0, false
	}
	n, err := strconv.Atoi(getenv(envFiles))
	if err != nil || n < 3 {
		fmt.Fprintf(os.Stderr, "detach: bad %s=%q\n", envFiles, getenv(envFiles))
		return 1, true
	}
	// Catch (not ignore: SIG_IGN would survive the program's exec) and
	// drop SIGHUP while the session changes hands.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	status := os.NewFile(uintptr(n), "status")
	unix.CloseOnExec(n)
	if err := CloseOnExec(); err != nil {
		fmt.Fprintf(status, "error %s\n", err)
		return 1, true
	}
	files := make([]*os.File, n)
	for i := range files {
		files[i] = os.NewFile(uintptr(i), "fd"+strconv.Itoa(i))
	}
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envExec+"=") && !strings.HasPrefix(kv, envFiles+"=") {
			env = append(env, kv)
		}
	}
	p, err := os.StartProcess(path, os.Args, &os.ProcAttr{
		Env: env, Files: files,
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			fmt.Fprintf(status, "errno %d\n", int(errno))
		} else {
			fmt.Fprintf(status, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		}
		return 1, true
	}
	fmt.Fprintf(status, "pid %d\n", p.Pid)
	return 0, true
}

// stdio fills in /dev/null for missing standard descriptors.
func stdio(in []*os.File) (files []*os.File, closeNull func(), err error) {
	files = append([]*os.File(nil), in...)
	for len(files) < 3 {
		files = append(files, nil)
	}
	var null *os.File
	for i := range 3 {
		if files[i] != nil {
			continue
		}
		if null == nil {
			// A plain descriptor: os.OpenFile would start Go's network
			// poller for the device, which costs more than it is worth here.
			fd, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
			if err != nil {
				return nil, nil, fmt.Errorf("detach: %w", &os.PathError{Op: "open", Path: os.DevNull, Err: err})
			}
			null = os.NewFile(uintptr(fd), os.DevNull)
		}
		files[i] = null
	}
	return files, func() {
		if null != nil {
			null.Close()
		}
	}, nil
}

// CloseOnExec marks every descriptor above 2 of the calling process
// close-on-exec, so that a program started later inherits only what is
// passed to it explicitly (Go's fork/exec clears the flag on the
// descriptors it is given). It uses close_range(2) and falls back to
// walking /proc/self/fd on kernels older than 5.11.
func CloseOnExec() error {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("detach: %w", err)
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}
