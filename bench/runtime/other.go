//go:build !linux

package main

import "errors"

func run(config) error { return errors.New("Linux only") }
