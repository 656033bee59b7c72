package lint

import (
	"strings"
	"testing"
)

// TestUnitSets reads list directives as systemd does: assignments add up,
// an empty one resets, "~" makes a deny list and the opposite kind removes.
func TestUnitSets(t *testing.T) {
	cases := []struct {
		lines   string
		allowed []string
		denied  []string
	}{
		{"", []string{"AF_INET", "AF_NETLINK"}, nil},
		{"RestrictAddressFamilies=AF_UNIX AF_INET", []string{"AF_UNIX", "AF_INET"}, []string{"AF_INET6"}},
		{"RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=AF_INET6", []string{"AF_UNIX", "AF_INET6"}, []string{"AF_INET"}},
		{"RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=\nRestrictAddressFamilies=AF_INET", []string{"AF_INET"}, []string{"AF_UNIX"}},
		{"RestrictAddressFamilies=", nil, []string{"AF_UNIX", "AF_INET"}},
		{"RestrictAddressFamilies=~AF_PACKET AF_INET6", []string{"AF_UNIX", "AF_INET"}, []string{"AF_PACKET", "AF_INET6"}},
		{"RestrictAddressFamilies=AF_UNIX AF_INET\nRestrictAddressFamilies=~AF_INET", []string{"AF_UNIX"}, []string{"AF_INET"}},
		{"[Socket]\nRestrictAddressFamilies=AF_UNIX", []string{"AF_INET"}, nil},
	}
	for _, c := range cases {
		data := c.lines
		if !strings.HasPrefix(data, "[") {
			data = "[Service]\n" + data
		}
		s := parseUnit([]byte("[Unit]\nDescription=x\n" + data + "\n")).set("RestrictAddressFamilies")
		for _, a := range c.allowed {
			if !s.allows(a) {
				t.Errorf("%q: %s denied, want allowed (%s)", c.lines, a, s)
			}
		}
		for _, d := range c.denied {
			if s.allows(d) {
				t.Errorf("%q: %s allowed, want denied (%s)", c.lines, d, s)
			}
		}
	}
}

// TestJudgePaths: the deepest mount rule decides what the service may do
// with a path.
func TestJudgePaths(t *testing.T) {
	u := parseUnit([]byte(`[Service]
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
StateDirectory=app
LogsDirectory=app/sub
ReadWritePaths=-/srv/data
ReadOnlyPaths=/srv/data/ro
InaccessiblePaths=-/var/lib/app/secret
`))
	rules := u.sandbox()
	for p, want := range map[string]access{
		"/var/log/app":             accessReadOnly,
		"/var/log/app/sub":         accessWrite,
		"/var/lib/app/x":           accessWrite,
		"/var/lib/app/secret/k":    accessNone,
		"/srv/data/db":             accessWrite,
		"/srv/data/ro/f":           accessReadOnly,
		"/tmp/x":                   accessWrite,
		"/home/u":                  accessNone,
		"/run/app":                 accessReadOnly,
		"/proc/self":               accessWrite,
		"/var/lib/application/foo": accessReadOnly,
	} {
		if got, why := judge(rules, p); got != want {
			t.Errorf("%s: access %d (%s), want %d", p, got, why, want)
		}
	}
	if got, _ := judge(parseUnit([]byte("[Service]\nProtectSystem=full\n")).sandbox(), "/var/log/app"); got != accessWrite {
		t.Errorf("ProtectSystem=full leaves /var/log read-only")
	}
	if got, _ := judge(parseUnit([]byte("[Service]\nProtectSystem=full\n")).sandbox(), "/etc/app"); got != accessReadOnly {
		t.Errorf("ProtectSystem=full leaves /etc writable")
	}
}

func TestGlobDir(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/app/app.log":   "/var/log/app",
		"/var/log/app/*.log":     "/var/log/app",
		"/var/log/app-*/x.log":   "/var/log",
		"/var/log/[ab]/*/x.log":  "/var/log",
		"/var/log/%i/access.log": "/var/log/%i",
	} {
		if got := globDir(in); got != want {
			t.Errorf("globDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOverrideKey(t *testing.T) {
	for in, want := range map[string]string{
		"RestrictAddressFamilies": "restrict_address_families",
		"ProcSubset":              "proc_subset",
		"IPAddressDeny":           "ip_address_deny",
		"RestrictSUIDSGID":        "restrict_suid_sgid",
	} {
		if got := overrideKey(in); got != want {
			t.Errorf("overrideKey(%q) = %q, want %q", in, got, want)
		}
	}
}
