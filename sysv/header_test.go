package sysv

import (
	"fmt"
	"strings"
)

// lsbHeader parses the LSB comment block as insserv and chkconfig read it:
// the lines from "### BEGIN INIT INFO" to "### END INIT INFO", each
// "# Key: value". It fails on anything else inside the block.
func lsbHeader(script string) (map[string]string, error) {
	lines := strings.Split(script, "\n")
	begin := -1
	for i, l := range lines {
		if l == "### BEGIN INIT INFO" {
			begin = i
			break
		}
	}
	if begin < 0 {
		return nil, fmt.Errorf("no BEGIN INIT INFO line")
	}
	out := map[string]string{}
	for _, l := range lines[begin+1:] {
		if strings.HasPrefix(l, "### END INIT INFO") {
			if l != "### END INIT INFO" {
				return nil, fmt.Errorf("odd end line %q", l)
			}
			return out, nil
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(l, "# "), ":")
		if !strings.HasPrefix(l, "# ") || !ok || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("duplicate header key %q", key)
		}
		out[key] = strings.TrimSpace(value)
	}
	return nil, fmt.Errorf("no END INIT INFO line")
}

// checkHeader verifies the header block carries exactly the expected keys
// and the given name and description.
func checkHeader(script, name, desc string) error {
	h, err := lsbHeader(script)
	if err != nil {
		return err
	}
	want := []string{"Provides", "Required-Start", "Required-Stop", "Default-Start", "Default-Stop", "Short-Description", "Description"}
	if _, ok := h["Should-Start"]; ok {
		want = append(want, "Should-Start", "Should-Stop")
	}
	if len(h) != len(want) {
		return fmt.Errorf("header keys %v, want %v", h, want)
	}
	for _, k := range want {
		if _, ok := h[k]; !ok {
			return fmt.Errorf("header lacks %s: %v", k, h)
		}
	}
	if provides, _, _ := strings.Cut(h["Provides"], " "); provides != name || h["Short-Description"] != strings.TrimSpace(desc) || h["Description"] != strings.TrimSpace(desc) {
		return fmt.Errorf("header %v, want name %q and description %q", h, name, desc)
	}
	if h["Default-Start"] != "2 3 4 5" || h["Default-Stop"] != "0 1 6" || h["Required-Start"] != h["Required-Stop"] {
		return fmt.Errorf("header runlevels or stop facilities wrong: %v", h)
	}
	return nil
}
