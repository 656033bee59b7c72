// Command echod is a TCP echo server and the reference daemon built on
// package daemon: copy it as the skeleton of your own.
//
//	echod --listen 127.0.0.1:7007                       # foreground (or under systemd)
//	echod --daemon --pidfile /run/echod/echod.pid --log /var/log/echod.log
//
// Under systemd it reports READY=1 once listening, STATUS= with the
// number of clients, watchdog pings when WatchdogSec= is set, RELOADING=1
// then READY=1 on SIGHUP and STOPPING=1 on SIGTERM, and it takes its
// listener from a .socket unit when one is passed (LISTEN_FDS). When
// ECHOD_GREETING is set, each client first receives it as one line.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/daemonctl/daemonctl/daemon"
)

// defaultPIDFile is where a classic echod writes its pid unless told.
const defaultPIDFile = "/run/echod/echod.pid"

func main() {
	listen := flag.String("listen", "127.0.0.1:7007", "TCP address to listen on (ignored when systemd passes a socket)")
	classic := flag.Bool("daemon", false, "detach and run as a classic daemon")
	pidfile := flag.String("pidfile", "", "pidfile to lock and write (default "+defaultPIDFile+" with --daemon)")
	logFile := flag.String("log", "", "log file (reopened on SIGHUP)")
	flag.Parse()

	cfg := daemon.Config{PIDFile: *pidfile, LogFile: *logFile}
	if *classic {
		cfg.Mode = daemon.ModeClassic
		if cfg.PIDFile == "" {
			// A classic daemon is found through its pidfile. In the
			// foreground the service manager tracks it instead.
			cfg.PIDFile = defaultPIDFile
		}
	}
	s := &server{addr: *listen, greeting: os.Getenv("ECHOD_GREETING")}
	err := daemon.Run(context.Background(), cfg, daemon.Handlers{Run: s.run, Reload: s.reload})
	if err != nil && daemon.ExitCode(err) == 1 {
		fmt.Fprintln(os.Stderr, "echod:", err)
	}
	os.Exit(daemon.ExitCode(err))
}

// server echoes every byte back to its sender.
type server struct {
	addr     string
	greeting string
	clients  atomic.Int64
}

// run listens, reports ready, and serves until ctx is done; then it stops
// accepting and waits for the open connections to finish.
func (s *server) run(ctx context.Context, d *daemon.Daemon) error {
	ln, err := d.Listen("echo", "tcp", s.addr)
	if err != nil {
		return err
	}
	log := d.Logger()
	log.Info("listening", "addr", ln.Addr().String())
	d.Ready()
	d.Status("listening on " + ln.Addr().String())

	var conns sync.Map // net.Conn → struct{}
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
	})
	defer stop()
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				log.Info("stopped")
				return nil
			}
			return err
		}
		conns.Store(c, struct{}{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			n := s.clients.Add(1)
			d.Status(fmt.Sprintf("listening on %s, %d clients", ln.Addr(), n))
			s.echo(c)
			n = s.clients.Add(-1)
			d.Status(fmt.Sprintf("listening on %s, %d clients", ln.Addr(), n))
		}()
	}
}

func (s *server) echo(c net.Conn) {
	defer c.Close()
	if s.greeting != "" {
		if _, err := io.WriteString(c, s.greeting+"\n"); err != nil {
			return
		}
	}
	io.Copy(c, c) // until the client closes, or Close at shutdown
}

// reload runs on SIGHUP, after the log file was reopened. echod has no
// configuration to re-read; it logs how many clients it serves.
func (s *server) reload(_ context.Context, d *daemon.Daemon) error {
	d.Logger().Info("reload", "clients", s.clients.Load())
	return nil
}
