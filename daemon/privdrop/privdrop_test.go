package privdrop

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("PRIVDROP_TEST_DROP") == "" {
		os.Exit(m.Run())
	}
	cred, err := Lookup("nobody", "")
	if err == nil {
		err = Drop(cred)
	}
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
	// Dropped for good: becoming root again must fail.
	if err := syscall.Setuid(0); err == nil {
		os.Stderr.WriteString("setuid(0) succeeded after the drop")
		os.Exit(1)
	}
	os.Exit(0)
}

func TestLookup(t *testing.T) {
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no nobody account:", err)
	}
	cred, err := Lookup("nobody", "")
	if err != nil {
		t.Fatal(err)
	}
	if u.Uid != strconv.FormatUint(uint64(cred.Uid), 10) || u.Gid != strconv.FormatUint(uint64(cred.Gid), 10) || !slices.Contains(cred.Groups, cred.Gid) {
		t.Fatalf("Lookup(nobody) = %+v, account %+v", cred, u)
	}
	byID, err := Lookup(u.Uid, u.Gid)
	if err != nil || byID.Uid != cred.Uid || byID.Gid != cred.Gid {
		t.Fatalf("Lookup by id = %+v, %v", byID, err)
	}
	if _, err := Lookup("no-such-user-daemonctl", ""); err == nil {
		t.Fatal("unknown user accepted")
	}
	if _, err := Lookup("nobody", "no-such-group-daemonctl"); err == nil {
		t.Fatal("unknown group accepted")
	}
}

func TestDropAsRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no nobody account")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRIVDROP_TEST_DROP=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("drop to nobody: %v: %s", err, stderr.String())
	}
}

func TestVerifyDetectsNoDrop(t *testing.T) {
	// Claiming to run as an account we are not must fail verification.
	other := &syscall.Credential{Uid: uint32(os.Getuid()) + 1, Gid: uint32(os.Getgid())}
	if err := Verify(other); !errors.Is(err, ErrNotDropped) {
		t.Fatalf("Verify(wrong uid) = %v", err)
	}
}

// TestLookupUnknownNames: an unknown name is reported as unknown, not as an
// invalid numeric id.
func TestLookupUnknownNames(t *testing.T) {
	_, err := Lookup("no-such-user-daemonctl", "")
	var unknownUser user.UnknownUserError
	if !errors.As(err, &unknownUser) {
		t.Errorf("unknown user: %v (%T), want user.UnknownUserError", err, errors.Unwrap(err))
	}
	_, err = Lookup("root", "no-such-group-daemonctl")
	var unknownGroup user.UnknownGroupError
	if !errors.As(err, &unknownGroup) {
		t.Errorf("unknown group: %v, want user.UnknownGroupError", err)
	}
}
