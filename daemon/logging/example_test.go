package logging_test

import (
	"log/slog"
	"os"

	"github.com/daemonctl/daemonctl/daemon/logging"
)

func ExampleNew() {
	log := logging.New(os.Stderr, os.Getenv, slog.LevelInfo)
	log.Info("listening", "addr", "127.0.0.1:7007")
}

// Journal output is chosen by FormatFor; NewHandler can also be asked for it.
func ExampleNewHandler() {
	log := slog.New(logging.NewHandler(os.Stdout, logging.Journal, slog.LevelDebug))
	log.Warn("slow client", "peer", "10.0.0.1:5000")
	// Output: <4>slow client peer=10.0.0.1:5000
}
