package systemd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/daemonctl/daemonctl/spec"
)

// exposureRE finds the score in systemd-analyze security's last line:
// "→ Overall exposure level for echod.service: 1.1 OK 🙂".
var exposureRE = regexp.MustCompile(`Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)`)

// exposure renders the service for s and returns its systemd-analyze
// security --offline=true score.
func exposure(t *testing.T, analyze string, s *spec.Spec) float64 {
	t.Helper()
	var buf bytes.Buffer
	if err := newGenerator(t).Service(&buf, s); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), s.Name+".service")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "security", "--offline=true", "--no-pager", path)
	out, err := cmd.CombinedOutput()
	// security exits non-zero only for --threshold; treat any error as fatal.
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposureRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in systemd-analyze security output:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return score
}

// TestSecurityScore holds the hardening levels to their bars for the echod
// example (a notify network daemon with an account of its own), and
// records what a root service gets.
func TestSecurityScore(t *testing.T) {
	analyze := lookPath(t, "systemd-analyze")
	tests := []struct {
		level    spec.Hardening
		root     bool
		min, max float64
	}{
		{spec.HardeningDefault, false, 0, 3.5},
		{spec.HardeningStrict, false, 0, 1.5},
		{spec.HardeningDefault, true, 0, 3.5},
		{spec.HardeningStrict, true, 0, 2.0},
		// off adds nothing: the score stays where an unhardened unit is.
		{spec.HardeningOff, false, 9.0, 10},
		{spec.HardeningOff, true, 9.0, 10},
	}
	for _, tt := range tests {
		name := string(tt.level) + "-user"
		if tt.root {
			name = string(tt.level) + "-root"
		}
		t.Run(name, func(t *testing.T) {
			s := buildSpec(t, "file:../examples/echod/daemon.yaml")
			s.Hardening = tt.level
			if tt.root {
				s.User, s.Group = "", ""
			}
			score := exposure(t, analyze, s)
			t.Logf("systemd-analyze security: %s scores %.1f", name, score)
			if score < tt.min || score > tt.max {
				t.Errorf("%s: exposure %.1f, want between %.1f and %.1f", name, score, tt.min, tt.max)
			}
		})
	}
}

// hardeningKeys are the [Service] settings a hardening level may add.
var hardeningKeys = []string{
	"NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectSystem", "ProtectHome",
	"PrivateTmp", "PrivateDevices", "DevicePolicy", "ProtectKernelTunables", "ProtectKernelModules",
	"ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "RestrictSUIDSGID",
	"RestrictRealtime", "RestrictNamespaces", "LockPersonality", "SystemCallArchitectures",
	"SystemCallFilter", "SystemCallErrorNumber", "RestrictAddressFamilies", "StateDirectory",
	"LogsDirectory", "ReadWritePaths", "ProtectProc", "ProcSubset", "PrivateUsers",
	"MemoryDenyWriteExecute", "KeyringMode", "RemoveIPC", "PrivateIPC", "PrivateMounts", "UMask",
}

// TestHardeningSettings checks the settings each level writes, so that a
// change to the sandbox shows up here and not only as a score.
func TestHardeningSettings(t *testing.T) {
	g := newGenerator(t)
	want := map[string]map[string][]string{
		"off-user": {},
		"default-user": {
			"NoNewPrivileges": {"yes"}, "CapabilityBoundingSet": {""}, "AmbientCapabilities": {""},
			"ProtectSystem": {"full"}, "ProtectHome": {"yes"}, "PrivateTmp": {"yes"}, "PrivateDevices": {"yes"},
			"DevicePolicy": {"closed"}, "ProtectKernelTunables": {"yes"}, "ProtectKernelModules": {"yes"},
			"ProtectKernelLogs": {"yes"}, "ProtectControlGroups": {"yes"}, "ProtectClock": {"yes"},
			"ProtectHostname": {"yes"}, "RestrictSUIDSGID": {"yes"}, "RestrictRealtime": {"yes"},
			"RestrictNamespaces": {"yes"}, "LockPersonality": {"yes"}, "SystemCallArchitectures": {"native"},
			"SystemCallFilter": {"@system-service"}, "SystemCallErrorNumber": {"EPERM"},
			"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6 AF_NETLINK"},
		},
	}
	strict := map[string][]string{}
	for k, v := range want["default-user"] {
		strict[k] = v
	}
	strict["ProtectSystem"] = []string{"strict"}
	strict["RestrictAddressFamilies"] = []string{"AF_UNIX AF_INET AF_INET6"}
	strict["SystemCallFilter"] = []string{"@system-service", "~@privileged @resources"}
	for k, v := range map[string]string{
		"ProtectProc": "invisible", "ProcSubset": "pid", "PrivateUsers": "yes", "MemoryDenyWriteExecute": "yes",
		"KeyringMode": "private", "RemoveIPC": "yes", "PrivateIPC": "yes", "PrivateMounts": "yes", "UMask": "0077",
	} {
		strict[k] = []string{v}
	}
	want["strict-user"] = strict
	// As root: no empty bounding set (a deny list, or only port binding at
	// strict), no PrivateUsers (it would strip root of its identity).
	rootDefault := map[string][]string{}
	for k, v := range want["default-user"] {
		rootDefault[k] = v
	}
	delete(rootDefault, "AmbientCapabilities")
	rootDefault["CapabilityBoundingSet"] = []string{"~" + strings.Join(rootDeniedCapabilities, " ")}
	want["default-root"] = rootDefault
	rootStrict := map[string][]string{}
	for k, v := range strict {
		rootStrict[k] = v
	}
	delete(rootStrict, "AmbientCapabilities")
	delete(rootStrict, "PrivateUsers")
	rootStrict["CapabilityBoundingSet"] = []string{"CAP_NET_BIND_SERVICE"}
	want["strict-root"] = rootStrict
	want["off-root"] = map[string][]string{}

	for name, settings := range want {
		t.Run(name, func(t *testing.T) {
			s := buildSpec(t, "file:../examples/echod/daemon.yaml")
			level, who, _ := strings.Cut(name, "-")
			s.Hardening = spec.Hardening(level)
			if who == "root" {
				s.User, s.Group = "", ""
			}
			var buf bytes.Buffer
			if err := g.Service(&buf, s); err != nil {
				t.Fatal(err)
			}
			got := options(t, buf.Bytes())
			for _, key := range hardeningKeys {
				g, w := got["Service."+key], settings[key]
				if !slices.Equal(g, w) {
					t.Errorf("%s=%q, want %q", key, g, w)
				}
			}
		})
	}
}
