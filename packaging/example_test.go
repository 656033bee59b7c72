package packaging_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/daemonctl/daemonctl/packaging"
	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/systemd"
	"github.com/daemonctl/daemonctl/sysv"
)

func ExampleBuilder_Build() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "hello"), []byte("#!/bin/sh\necho hello\n"), 0o755)
	cfg := &spec.Config{Name: "hello", Exec: "/usr/bin/hello", Source: filepath.Join(dir, "daemon.yaml"),
		Package: spec.PackageConfig{Version: "1.0", Arch: "arm64",
			Files: []spec.FileConfig{{Src: "hello", Dst: "/usr/bin/hello"}}}}
	s, err := cfg.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	units, _ := systemd.New()
	scripts, _ := sysv.New()
	b, err := packaging.New(packaging.Generators{Systemd: units, SysV: scripts})
	if err != nil {
		fmt.Println(err)
		return
	}
	arts, err := b.Build(context.Background(), s, packaging.Options{
		Dir: filepath.Join(dir, "dist"), ModTime: time.Unix(1700000000, 0)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range arts {
		fmt.Println(a.Format, filepath.Base(a.Path))
	}
	// Output:
	// deb hello_1.0-1_arm64.deb
	// rpm hello-1.0-1.aarch64.rpm
}
