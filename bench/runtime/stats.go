package main

import (
	"fmt"
	"slices"
)

// sample is a set of measurements in nanoseconds (or any unit).
type sample []float64

func (s sample) quantile(q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	// nearest rank
	i := int(q*float64(len(c))+0.5) - 1
	i = max(0, min(i, len(c)-1))
	if q == 0.5 && len(c)%2 == 0 {
		return (c[len(c)/2-1] + c[len(c)/2]) / 2
	}
	return c[i]
}

func (s sample) median() float64 { return s.quantile(0.5) }
func (s sample) p90() float64    { return s.quantile(0.9) }

// ms formats nanoseconds as milliseconds.
func ms(ns float64) string {
	if ns == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f ms", ns/1e6)
}

// mb formats kilobytes as megabytes.
func mb(kb float64) string { return fmt.Sprintf("%.2f MB", kb/1024) }

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func bar(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}
