package sdnotify_test

import (
	"context"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/daemonctl/daemonctl/daemon/sdnotify"
)

// A Type=notify-reload service: announce readiness, ping the watchdog, and
// bracket each reload with RELOADING=1 and READY=1.
func ExampleNotifier() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	n := sdnotify.FromEnv(os.Getenv)
	go n.RunWatchdog(ctx)
	if err := n.Ready(); err != nil {
		log.Print(err) // only when NOTIFY_SOCKET is set and unreachable
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	for {
		select {
		case <-hup:
			_ = n.Reloading()
			// re-read the configuration here
			_ = n.Ready()
		case <-ctx.Done():
			_ = n.Stopping()
			return
		}
	}
}

// Use the socket systemd passed as FileDescriptorName=web, or listen
// directly when started by hand.
func ExampleListeners() {
	ls, err := sdnotify.Listeners(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	var l net.Listener
	if named := ls["web"]; len(named) > 0 {
		l = named[0]
	} else if l, err = net.Listen("tcp", "127.0.0.1:7007"); err != nil {
		log.Fatal(err)
	}
	defer l.Close()
}
