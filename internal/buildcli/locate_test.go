package buildcli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
)

// TestLocateKeepsPositions: an unreadable package file is reported on its
// line from the positions the spec kept, even when the spec file is gone
// by then: nothing reads the YAML again.
func TestLocateKeepsPositions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "daemon.yaml")
	if err := os.WriteFile(file, []byte(packageSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	missing := &packaging.MissingFileError{Field: "package.files[0].src", Path: "/x/nothere", Err: fs.ErrNotExist}
	err = locate(s, fmt.Errorf("packaging: %w", missing))
	want := file + ":8: package.files[0].src: cannot read /x/nothere: file does not exist"
	var errs spec.Errors
	if !errors.As(err, &errs) || err.Error() != want {
		t.Errorf("locate: %v, want spec.Errors %q", err, want)
	}
	if other := errors.New("other"); locate(s, other) != other {
		t.Error("locate changed an error that is not about a spec field")
	}
}
