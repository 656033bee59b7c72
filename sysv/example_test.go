package sysv_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log"

	"github.com/daemonctl/daemonctl/spec"
	"github.com/daemonctl/daemonctl/sysv"
)

func Example() {
	cfg := &spec.Config{
		Name:        "echod",
		Description: "TCP echo daemon",
		Exec:        "/usr/bin/echod",
		Args:        []string{"--listen", "127.0.0.1:7007"},
		User:        "echod",
	}
	s, err := cfg.Build()
	if err != nil {
		log.Fatal(err)
	}
	g, err := sysv.New()
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := g.Script(&buf, s); err != nil {
		log.Fatal(err)
	}
	// Print the LSB header block.
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		line := sc.Text()
		if line == "#" {
			break
		}
		fmt.Println(line)
	}
	// Output:
	// #!/bin/sh
	// ### BEGIN INIT INFO
	// # Provides:          echod
	// # Required-Start:    $remote_fs $syslog $network
	// # Required-Stop:     $remote_fs $syslog $network
	// # Default-Start:     2 3 4 5
	// # Default-Stop:      0 1 6
	// # Short-Description: TCP echo daemon
	// # Description:       TCP echo daemon
	// ### END INIT INFO
}
