package readiness

import (
	"errors"
	"os"
	"testing"
)

func pipe(t *testing.T) (*os.File, *Reporter) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, NewReporter(w)
}

func TestReady(t *testing.T) {
	r, rep := pipe(t)
	if err := rep.Ready(); err != nil {
		t.Fatal(err)
	}
	if err := rep.Fail(errors.New("ignored after the first report")); err != nil {
		t.Fatal(err)
	}
	if err := Wait(r); err != nil {
		t.Fatalf("Wait = %v", err)
	}
}

func TestFail(t *testing.T) {
	r, rep := pipe(t)
	rep.Fail(errors.New("listen tcp: address in use\nsecond line"))
	var se *StartError
	if err := Wait(r); !errors.As(err, &se) || se.Msg != "listen tcp: address in use; second line" {
		t.Fatalf("Wait = %v", err)
	}
}

func TestExited(t *testing.T) {
	r, rep := pipe(t)
	rep.Close()
	if err := Wait(r); !errors.Is(err, ErrExited) {
		t.Fatalf("Wait = %v", err)
	}
}

func TestNilAndEnv(t *testing.T) {
	var rep *Reporter
	if rep.Ready() != nil || rep.Fail(errors.New("x")) != nil {
		t.Fatal("nil Reporter returned an error")
	}
	for _, v := range []string{"", "x", "2", "-1"} {
		if FromEnv(func(string) string { return v }) != nil {
			t.Errorf("FromEnv(%q) != nil", v)
		}
	}
}
