package logfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/daemonctl/daemonctl/daemon/logfile"
)

// Root opens a service's log in a directory the service's user owns, and
// hands the file over only when it created it.
func ExampleOpen() {
	cred := &syscall.Credential{Uid: 65534, Gid: 65534} // the service's user
	f, err := logfile.Open(filepath.Join(os.TempDir(), "app", "app.log"), cred)
	if errors.Is(err, logfile.ErrUnsafe) {
		fmt.Fprintln(os.Stderr, err) // a link, a FIFO, another user's file…
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, "started")
}
