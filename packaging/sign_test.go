package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/daemonctl/daemonctl/packaging"
)

// TestSigned signs both packages with a throw-away OpenPGP key: the rpm
// carries a header signature, the deb a _gpgorigin member.
func TestSigned(t *testing.T) {
	need(t, "rpm", "ar")
	key := filepath.Join(t.TempDir(), "key.asc")
	e, err := openpgp.NewEntity("daemonctl test", "", "test@daemonctl.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(key)
	if err != nil {
		t.Fatal(err)
	}
	w, err := armor.Encode(f, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	bin, _ := goBinaries(t)
	out := build(t, echodSpec(t, bin), packaging.Options{Signer: &packaging.Signer{KeyFile: key}})
	sig, err := exec.Command("rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", out[packaging.RPM]).CombinedOutput()
	if err != nil || strings.Contains(string(sig), "(none)") || !strings.Contains(string(sig), "Key ID") {
		t.Errorf("rpm header signature: %q, %v", sig, err)
	}
	members, err := exec.Command("ar", "t", out[packaging.Deb]).CombinedOutput()
	if err != nil || !strings.Contains(string(members), "_gpgorigin") {
		t.Errorf("deb members: %q, %v", members, err)
	}
}
