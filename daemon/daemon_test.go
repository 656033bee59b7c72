package daemon

import (
	"errors"
	"net"
	"testing"
)

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{nil: 0, errors.New("x"): 1, &ExitError{Code: 3}: 3} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestListenPrefersActivatedSocket(t *testing.T) {
	activated, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer activated.Close()
	d := &Daemon{listeners: map[string][]net.Listener{"web": {activated}}}
	got, err := d.Listen("echo", "tcp", "127.0.0.1:0")
	if err != nil || got != activated {
		t.Fatalf("the only activated listener was not used: %v, %v", got, err)
	}
	// Handed out once: the next call listens itself.
	own, err := d.Listen("echo", "tcp", "127.0.0.1:0")
	if err != nil || own == activated {
		t.Fatalf("second Listen = %v, %v", own, err)
	}
	own.Close()
	if _, err := d.Listen("echo", "tcp", "256.0.0.1:1"); err == nil {
		t.Fatal("bad address accepted")
	}
}

func TestRunNeedsHandler(t *testing.T) {
	if err := Run(t.Context(), Config{Getenv: func(string) string { return "" }}, Handlers{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("Run without Handlers.Run = %v", err)
	}
}
