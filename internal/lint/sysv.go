package lint

import "github.com/daemonctl/daemonctl/spec"

// sysvFindings names every key the service sets that its init script
// cannot honour (the init script has no sandbox and no supervisor), and
// says that a template service has no init script at all. restart,
// restart_sec and watchdog_sec are supervision too; lint has never
// reported them, and README documents them.
func sysvFindings(root *spec.Spec, sv Service) []Finding {
	s := sv.Spec
	if s.IsTemplate() {
		return []Finding{sv.finding(root, "name", SeverityNote,
			"template service: no init script (systemd starts its instances as %sINSTANCE)", s.Name)}
	}
	var out []Finding
	warn := func(key, format string, args ...any) {
		out = append(out, sv.finding(root, key, SeverityWarning, "no SysV equivalent: "+format, args...))
	}
	if s.Hardening != spec.HardeningOff && sv.set(root, "hardening") {
		warn("hardening", "the init script starts the program without systemd's sandbox (hardening: %s)", s.Hardening)
	}
	for _, k := range []struct {
		key   string
		paths []string
	}{{"read_write_paths", s.ReadWritePaths}, {"read_only_paths", s.ReadOnlyPaths}, {"inaccessible_paths", s.InaccessiblePaths}} {
		if len(k.paths) > 0 {
			warn(k.key, "the init script has no sandbox; the paths are as the file system makes them")
		}
	}
	if len(s.HardeningOverrides) > 0 {
		warn("hardening_overrides", "the init script has no sandbox to adjust")
	}
	if s.StartLimitInterval != 0 {
		warn("start_limit_interval_sec", "the init script does not restart the program, so there is no start limit")
	}
	if s.StartLimitBurst != 0 {
		warn("start_limit_burst", "the init script does not restart the program, so there is no start limit")
	}
	return out
}
