package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/daemonctl/daemonctl/internal/atomicfile"
)

// WriteAll writes a set of generated files; a reader of the directory sees
// either the old files or the complete new ones.
func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "atomicfile-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	err = atomicfile.WriteAll(dir, []atomicfile.File{
		{Name: "web.service", Mode: 0o644, Data: []byte("[Service]\nExecStart=/usr/bin/web\n")},
		{Name: "web", Mode: 0o755, Data: []byte("#!/bin/sh\n")},
	})
	fmt.Println(err)
	info, _ := os.Stat(filepath.Join(dir, "web"))
	fmt.Println(info.Mode())
	// Output:
	// <nil>
	// -rwxr-xr-x
}
