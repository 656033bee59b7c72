package packaging_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/daemonctl/daemonctl/packaging"
)

// testKey writes a throw-away OpenPGP key pair, armored, into a temporary
// directory and returns the paths of the private and the public key.
func testKey(t *testing.T) (private, public string) {
	t.Helper()
	dir := t.TempDir()
	e, err := openpgp.NewEntity("daemonctl test", "", "test@daemonctl.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, blockType string, serialize func(io.Writer) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := armor.Encode(f, blockType, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(serialize(w), w.Close(), f.Close()); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private = write("key.asc", openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivate(w, nil) })
	public = write("key.pub.asc", openpgp.PublicKeyType, e.Serialize)
	return private, public
}

// TestSigned signs both packages with a throw-away OpenPGP key: the rpm
// carries a header signature that rpm -K verifies with the public key
// imported into a temporary rpm database (and rejects without it), the deb
// a _gpgorigin member.
func TestSigned(t *testing.T) {
	need(t, "rpm", "ar")
	key, pub := testKey(t)
	bin, _ := goBinaries(t)
	out := build(t, echodSpec(t, bin), packaging.Options{Signer: &packaging.Signer{KeyFile: key}})
	sig, err := exec.Command("rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", out[packaging.RPM]).CombinedOutput()
	if err != nil || strings.Contains(string(sig), "(none)") || !strings.Contains(string(sig), "Key ID") {
		t.Errorf("rpm header signature: %q, %v", sig, err)
	}
	db := t.TempDir()
	if got, err := exec.Command("rpm", "--dbpath", db, "-K", out[packaging.RPM]).CombinedOutput(); err == nil {
		t.Errorf("rpm -K without the key in the database succeeded: %s", got)
	}
	run(t, "rpm", "--dbpath", db, "--import", pub)
	if got := run(t, "rpm", "--dbpath", db, "-K", out[packaging.RPM]); !strings.HasSuffix(strings.TrimSpace(got), "digests signatures OK") {
		t.Errorf("rpm -K with the key imported: %s", got)
	}
	members, err := exec.Command("ar", "t", out[packaging.Deb]).CombinedOutput()
	if err != nil || !strings.Contains(string(members), "_gpgorigin") {
		t.Errorf("deb members: %q, %v", members, err)
	}
}
