package spec

import (
	"errors"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// v2Full uses every v2 key of a service, the package keys and services.
const v2Full = `name: redis-server
exec: /usr/bin/redis-server
args: [/etc/redis/redis.conf]
user: redis
type: notify
args_from_env:
  REDIS_OPTS: "--loglevel notice"
  EMPTY:
state_directory: redis
logs_directory: [redis, redis/slow]
logs_directory_mode: "2750"
configuration_directory: redis
runtime_directory: redis-extra
read_write_paths: [/var/lib/redis, "-/srv/redis"]
read_only_paths: [/etc/redis]
inaccessible_paths: [/home]
capability_bounding_set: [net_bind_service, CAP_SYS_RESOURCE]
ambient_capabilities: [cap_net_bind_service]
umask: 027
hardening_overrides:
  proc_subset: all
  protect_proc: default
  memory_deny_write_execute: ~
  private_devices: false
  system_call_filter: ["@system-service", "~@privileged"]
exec_reload: [/usr/bin/redis-cli, config, rewrite]
exec_start_pre: [[/usr/bin/redis-check, -t], [/bin/true]]
stop_timeout: infinity
send_sigkill: false
kill_mode: mixed
start_limit_interval_sec: 5m
start_limit_burst: 20
documentation: ["man:redis-server(1)", "https://redis.io/docs/"]
alias: [redis]
logrotate:
  files: [/var/log/redis/*.log]
  rotate: 5
package:
  version: "7.0"
  homepage: https://redis.io/
  files:
    - {src: redis.conf, dst: /etc/redis/redis.conf, mode: "0640", owner: redis}
  directories:
    - {path: /etc/redis/conf.d, owner: redis, mode: "2770"}
    - {path: /var/lib/redis-extra}
  purge: [account, state, logs]
services:
  - name: redis-server@
    exec: /usr/bin/redis-server
    args: [/etc/redis/redis-%i.conf]
    user: redis
    reload: none
  - name: redis-sentinel
    exec: /usr/bin/redis-sentinel
    alias: [sentinel]
`

func TestV2Keys(t *testing.T) {
	s, err := build(t, v2Full)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"args_from_env", s.ArgsFromEnv, []EnvVar{{"REDIS_OPTS", "--loglevel notice"}, {"EMPTY", ""}}},
		{"directories by kind", s.Directories, []Directory{
			{DirRuntime, "redis-extra", 0o755}, {DirState, "redis", 0o755}, {DirLogs, "redis", 0o2750},
			{DirLogs, "redis/slow", 0o2750}, {DirConfiguration, "redis", 0o755}}},
		{"read_write_paths", s.ReadWritePaths, []string{"/var/lib/redis", "-/srv/redis"}},
		{"read_only_paths", s.ReadOnlyPaths, []string{"/etc/redis"}},
		{"inaccessible_paths", s.InaccessiblePaths, []string{"/home"}},
		{"bounding set canonical", s.CapabilityBoundingSet, []string{"CAP_NET_BIND_SERVICE", "CAP_SYS_RESOURCE"}},
		{"ambient canonical", s.AmbientCapabilities, []string{"CAP_NET_BIND_SERVICE"}},
		{"umask four digits", s.UMask, "0027"},
		{"overrides", s.HardeningOverrides, []Override{{"ProcSubset", "all"}, {"ProtectProc", "default"},
			{"MemoryDenyWriteExecute", ""}, {"PrivateDevices", "no"}, {"SystemCallFilter", "@system-service"},
			{"SystemCallFilter", "~@privileged"}}},
		{"reload defaults to command", s.Reload, ReloadCommand},
		{"exec_reload", s.ExecReload, []string{"/usr/bin/redis-cli", "config", "rewrite"}},
		{"exec_start_pre", s.ExecStartPre, [][]string{{"/usr/bin/redis-check", "-t"}, {"/bin/true"}}},
		{"stop infinity", [2]any{s.StopTimeoutInfinite, s.StopTimeout}, [2]any{true, MaxDuration}},
		{"send_sigkill", s.SendSIGKILL, false},
		{"kill_mode", s.KillMode, KillMixed},
		{"start limit", [2]any{s.StartLimitInterval, s.StartLimitBurst}, [2]any{5 * time.Minute, 20}},
		{"documentation", s.Documentation, []string{"man:redis-server(1)", "https://redis.io/docs/"}},
		{"alias", s.Aliases, []string{"redis"}},
		{"logrotate defaults", *s.LogRotate, LogRotate{Files: []string{"/var/log/redis/*.log"}, Method: RotateReload,
			Frequency: "weekly", Rotate: 5, Compress: true, Mode: 0o640}},
		{"file owner, group from the owner's service", s.Package.Files[0].Owner + ":" + s.Package.Files[0].Group, "redis:redis"},
		{"file mode", s.Package.Files[0].Mode, fs.FileMode(0o640)},
		{"package dirs", s.Package.Directories, []PackageDir{{"/etc/redis/conf.d", "redis", "redis", 0o2770}, {"/var/lib/redis-extra", "", "", 0o755}}},
		{"purge in Purgeable order", s.Package.Purge, []PurgeItem{PurgeState, PurgeLogs, PurgeAccount}},
		{"extra services", len(s.Extra), 2},
		{"template extra", [4]any{s.Extra[0].Name, s.Extra[0].PIDFile, s.Extra[0].EnvironmentFile, s.Extra[0].Reload},
			[4]any{"redis-server@", "/run/redis-server-%i/redis-server.pid", "/etc/default/redis-server", ReloadNone}},
		{"extra defaults by its own name", [2]any{s.Extra[1].PIDFile, s.Extra[1].Description}, [2]any{"/run/redis-sentinel/redis-sentinel.pid", "redis-sentinel"}},
		{"extra documentation from the homepage", s.Extra[1].Documentation, []string{"https://redis.io/"}},
		{"extra has no package", reflect.ValueOf(s.Extra[1].Package).IsZero(), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate of the built spec: %v", err)
	}
	// Positions: a further service's fields are its own, located in its item.
	sentinel := s.Extra[1]
	if got := sentinel.Line("exec"); got != 54 {
		t.Errorf("Extra[1].Line(exec) = %d, want 54", got)
	}
	if got := sentinel.Line("pidfile"); got != 53 { // a default: its item's line
		t.Errorf("Extra[1].Line(pidfile) = %d, want 53", got)
	}
	if got := sentinel.FieldError("exec", "cannot read it").Error(); got != "daemon.yaml:54: services[1].exec: cannot read it" {
		t.Errorf("FieldError: %q", got)
	}
	for field, want := range map[string]int{"hardening_overrides.proc_subset": 21, "exec_start_pre[1][0]": 27,
		"logrotate.rotate": 37, "package.directories[0].mode": 44, "logs_directory[1]": 10} {
		if got := s.Line(field); got != want {
			t.Errorf("Line(%q) = %d, want %d", field, got, want)
		}
	}
}

// TestV2Errors: every v2 key's bad input gets file:line: field: reason.
func TestV2Errors(t *testing.T) {
	const tmpl = "name: app@\nexec: /usr/bin/app\n"
	const user = minimal + "user: app\n"
	cases := []struct{ name, yaml, want string }{
		{"args_from_env not map", minimal + "args_from_env: [A]\n", "daemon.yaml:3: args_from_env: must be a mapping of NAME: default value, not a list"},
		{"args_from_env name", minimal + "args_from_env:\n  A-B: x\n", "daemon.yaml:4: args_from_env.A-B: variable names must match"},
		{"args_from_env quote", minimal + "args_from_env:\n  OPTS: 'a \"b\"'\n", `daemon.yaml:4: args_from_env.OPTS: "a \"b\"" must not contain`},
		{"args_from_env dup", minimal + "args_from_env:\n  A: x\n  A: y\n", "daemon.yaml:5: args_from_env.A: duplicate variable"},
		{"args_from_env shared file", minimal + "args_from_env:\n  OPTS: a\nservices:\n  - name: two\n    exec: /usr/bin/two\n    environment_file: /etc/default/app\n    args_from_env:\n      OPTS: b\n", "daemon.yaml:10: services[0].args_from_env.OPTS: /etc/default/app is read by args_from_env.OPTS too, with another default"},
		{"purge system dir", minimal + "package:\n  directories:\n    - {path: /etc/ssl}\n  purge: [configuration]\n", `daemon.yaml:5: package.directories[0].path: purge would remove "/etc/ssl", which is not a directory of the service's own`},
		{"directory absolute", minimal + "state_directory: /var/lib/app\n", `daemon.yaml:3: state_directory[0]: "/var/lib/app" must be relative to /var/lib`},
		{"directory dotdot", minimal + "state_directory: [ok, ../etc]\n", `daemon.yaml:3: state_directory[1]: "../etc" must be a clean relative path`},
		{"directory shared", minimal + "runtime_directory: [systemd]\n", `daemon.yaml:3: runtime_directory[0]: "/run/systemd" is in /run/systemd, which belongs to the system`},
		{"directory system", minimal + "state_directory: dpkg\n", `daemon.yaml:3: state_directory[0]: "/var/lib/dpkg" is the package managers' state`},
		{"directory dup", minimal + "cache_directory: [a, a]\n", "daemon.yaml:3: cache_directory[1]: duplicate of cache_directory[0]"},
		{"directory special", minimal + "logs_directory: \"a b\"\n", `daemon.yaml:3: logs_directory[0]: "/var/log/a b" must not contain spaces`},
		{"directory mode o+w", minimal + "state_directory: a\nstate_directory_mode: \"0777\"\n", "daemon.yaml:4: state_directory_mode: 0777: writable by others"},
		{"directory mode setuid", minimal + "state_directory: a\nstate_directory_mode: \"4755\"\n", "daemon.yaml:4: state_directory_mode: 4755: the setuid bit is refused"},
		{"directory mode bad", minimal + "state_directory: a\nstate_directory_mode: rwx\n", `daemon.yaml:4: state_directory_mode: "rwx" is not an octal file mode`},
		{"directory mode alone", minimal + "cache_directory_mode: \"0700\"\n", "daemon.yaml:3: cache_directory_mode: there is no cache_directory to apply it to"},
		{"rw path relative", minimal + "read_write_paths: [var/lib]\n", `daemon.yaml:3: read_write_paths[0]: "var/lib" must be an absolute path`},
		{"ro path unclean", minimal + "read_only_paths:\n  - /etc\n  - \"-/etc/../x\"\n", `daemon.yaml:5: read_only_paths[1]: "/etc/../x" must be a clean path`},
		{"capability unknown", minimal + "capability_bounding_set: [CAP_FLY]\n", `daemon.yaml:3: capability_bounding_set[0]: "CAP_FLY" is not a Linux capability`},
		{"capability dup", minimal + "ambient_capabilities: [kill, CAP_KILL]\n", "daemon.yaml:3: ambient_capabilities[1]: duplicate of ambient_capabilities[0]"},
		{"ambient outside bounding", minimal + "capability_bounding_set: [kill]\nambient_capabilities: [net_raw]\n", "daemon.yaml:4: ambient_capabilities[0]: CAP_NET_RAW is not in capability_bounding_set"},
		{"umask", minimal + "umask: \"0999\"\n", `daemon.yaml:3: umask: "0999" must be an octal mask like 0027`},
		{"override unknown", minimal + "hardening_overrides:\n  proc_subsett: all\n", `daemon.yaml:4: hardening_overrides.proc_subsett: unknown sandboxing directive (did you mean "proc_subset"?)`},
		{"override own key", minimal + "hardening_overrides:\n  capability_bounding_set: x\n", "daemon.yaml:4: hardening_overrides.capability_bounding_set: use the key capability_bounding_set instead"},
		{"override enum", minimal + "hardening_overrides:\n  proc_subset: some\n", `daemon.yaml:4: hardening_overrides.proc_subset: "some" must be one of all, pid`},
		{"override bool", minimal + "hardening_overrides:\n  private_tmp: maybe\n", `daemon.yaml:4: hardening_overrides.private_tmp: "maybe" must be one of yes, no`},
		{"override injection", minimal + "hardening_overrides:\n  restrict_address_families: \"AF_UNIX\\nExecStartPre=/bin/sh\"\n", "daemon.yaml:4: hardening_overrides.restrict_address_families:"},
		{"override empty", minimal + "hardening_overrides:\n  ip_address_deny: \"\"\n", "daemon.yaml:4: hardening_overrides.ip_address_deny: must not be empty (null leaves the directive out)"},
		{"override not map", minimal + "hardening_overrides: [a]\n", "daemon.yaml:3: hardening_overrides: must be a mapping of directive: value"},
		{"reload bad", minimal + "reload: sometimes\n", `daemon.yaml:3: reload: "sometimes" must be one of signal, command, none`},
		{"reload command without exec_reload", minimal + "reload: command\n", "daemon.yaml:3: reload: command needs exec_reload"},
		{"exec_reload with signal", minimal + "reload: signal\nexec_reload: [/bin/kill]\n", "daemon.yaml:4: exec_reload: is only for reload: command (reload is signal)"},
		{"reload_signal with none", minimal + "reload: none\nreload_signal: USR1\n", "daemon.yaml:4: reload_signal: is only for reload: signal (reload is none)"},
		{"exec_reload relative", minimal + "exec_reload: [nginx, -s, reload]\n", `daemon.yaml:3: exec_reload[0]: "nginx" must be an absolute path`},
		{"exec_start_pre flat", minimal + "exec_start_pre: [/usr/sbin/nginx, -t]\n", "daemon.yaml:3: exec_start_pre[0]: must be a command as a list"},
		{"exec_start_pre empty", minimal + "exec_start_pre: [[]]\n", "daemon.yaml:3: exec_start_pre[0]: must not be empty"},
		{"exec_start_pre relative", minimal + "exec_start_pre:\n  - [/bin/true]\n  - [nginx, -t]\n", `daemon.yaml:5: exec_start_pre[1][0]: "nginx" must be an absolute path`},
		{"stop_timeout word", minimal + "stop_timeout: forever\n", `daemon.yaml:3: stop_timeout: "forever" is not a Go duration`},
		{"send_sigkill", minimal + "send_sigkill: no\n", "daemon.yaml:3: send_sigkill: must be true or false"},
		{"kill_mode", minimal + "kill_mode: none\n", `daemon.yaml:3: kill_mode: "none" must be one of control-group, mixed, process`},
		{"start limit zero", minimal + "start_limit_interval_sec: 0\n", "daemon.yaml:3: start_limit_interval_sec: must be greater than 0"},
		{"start limit large", minimal + "start_limit_interval_sec: 9000h\n", "daemon.yaml:3: start_limit_interval_sec: must be at most 8760h"},
		{"burst zero", minimal + "start_limit_burst: 0\n", "daemon.yaml:3: start_limit_burst: must be from 1 to 100000"},
		{"burst word", minimal + "start_limit_burst: many\n", `daemon.yaml:3: start_limit_burst: "many" must be a whole number`},
		{"burst negative", minimal + "start_limit_burst: -1\n", `daemon.yaml:3: start_limit_burst: "-1" must be a whole number`},
		{"documentation scheme", minimal + "documentation: [\"ftp://x\"]\n", `daemon.yaml:3: documentation[0]: "ftp://x" must be a URI`},
		{"documentation space", minimal + "documentation:\n  - man:a\n  - \"man:a b\"\n", `daemon.yaml:5: documentation[1]: "man:a b" must be a URI`},
		{"alias own name", minimal + "alias: [app]\n", `daemon.yaml:3: alias[0]: "app" is the service's own name`},
		{"alias bad", minimal + "alias: [App.service]\n", `daemon.yaml:3: alias[0]: "App.service" must match`},
		{"alias template", tmpl + "alias: [other]\n", `daemon.yaml:3: alias[0]: "other": the alias of a template service is a template`},
		{"percent i outside template", minimal + "args: [\"--port=%i\"]\n", "daemon.yaml:3: args[0]: %i and %I are instance specifiers: only a template service"},
		{"percent I in description", minimal + "description: \"app %I\"\n", "daemon.yaml:3: description: %i and %I are instance specifiers"},
		{"percent i in exec_reload", minimal + "exec_reload: [/bin/x, \"%i\"]\n", "daemon.yaml:3: exec_reload[1]: %i and %I are instance specifiers"},
		{"template pidfile other specifier", tmpl + "pidfile: /run/app-%n/app.pid\n", `daemon.yaml:3: pidfile: "/run/app-%n/app.pid" must not contain spaces or shell/systemd special characters`},
		{"template listen", tmpl + "listen: [\"tcp::80\"]\n", "daemon.yaml:3: listen: a template service cannot be socket-activated"},
		{"logrotate no files", minimal + "logrotate: {files: []}\n", "daemon.yaml:3: logrotate.files: must list at least one log file"},
		{"logrotate outside /var/log", minimal + "logrotate:\n  files: [/etc/passwd]\n", `daemon.yaml:4: logrotate.files[0]: "/etc/passwd" must be under /var/log/`},
		{"logrotate reload none", minimal + "reload: none\nlogrotate:\n  files: [/var/log/app.log]\n  method: reload\n", "daemon.yaml:6: logrotate.method: reload needs a service that reloads"},
		{"logrotate frequency", minimal + "logrotate:\n  files: [/var/log/app.log]\n  frequency: hourly\n", `daemon.yaml:5: logrotate.frequency: "hourly" must be daily, weekly or monthly`},
		{"logrotate rotate", minimal + "logrotate:\n  files: [/var/log/app.log]\n  rotate: 0\n", "daemon.yaml:5: logrotate.rotate: must be from 1 to 1000"},
		{"logrotate unknown key", minimal + "logrotate:\n  file: [/var/log/app.log]\n", `daemon.yaml:4: logrotate.file: unknown key (did you mean "files"?)`},
		{"file owner not a service account", user + "package:\n  files:\n    - {src: a, dst: /etc/app.conf, owner: www-data}\n", `daemon.yaml:6: package.files[0].owner: "www-data" must be root or the user of one of the package's services (app)`},
		{"file group not a service account", user + "package:\n  files:\n    - {src: a, dst: /etc/app.conf, group: adm}\n", `daemon.yaml:6: package.files[0].group: "adm" must be root or the group or user`},
		{"file group-writable by root's group", user + "package:\n  files:\n    - {src: a, dst: /etc/app.conf, owner: app, group: root, mode: \"0660\"}\n", "daemon.yaml:6: package.files[0].mode: 0660: writable by group or others"},
		{"dir path", minimal + "package:\n  directories:\n    - {path: /etc/passwd.d}\n", `daemon.yaml:5: package.directories[0].path: "/etc/passwd.d" is the system's account database`},
		{"dir path required", minimal + "package:\n  directories:\n    - {mode: \"0755\"}\n", "daemon.yaml:5: package.directories[0].path: is required"},
		{"dir standard", minimal + "package:\n  directories:\n    - path: /var/lib\n", `daemon.yaml:5: package.directories[0].path: "/var/lib" is a standard directory`},
		{"dir mode o+w", minimal + "package:\n  directories:\n    - {path: /etc/app, mode: \"1777\"}\n", "daemon.yaml:5: package.directories[0].mode: 1777: writable by others"},
		{"dir mode setuid", minimal + "package:\n  directories:\n    - {path: /etc/app, mode: \"4755\"}\n", "daemon.yaml:5: package.directories[0].mode: 4755: the setuid bit is refused"},
		{"dir owner", minimal + "package:\n  directories:\n    - {path: /etc/app, owner: \"a b\"}\n", `daemon.yaml:5: package.directories[0].owner: "a b" must match`},
		{"dir dup", minimal + "package:\n  directories:\n    - path: /etc/app\n    - path: /etc/app\n", "daemon.yaml:6: package.directories[1].path: duplicate of package.directories[0]"},
		{"dir foreign unit", minimal + "package:\n  directories:\n    - path: /usr/lib/systemd/system/ssh.service.d\n", `daemon.yaml:5: package.directories[0].path: "/usr/lib/systemd/system/ssh.service.d" is another service's unit directory`},
		{"purge unknown", minimal + "package:\n  purge: [everything]\n", `daemon.yaml:4: package.purge: "everything" is not one of state, cache, logs, configuration, account`},
		{"purge account without one", minimal + "package:\n  purge: [account]\n", "daemon.yaml:4: package.purge: account: nothing to purge (no service has a user or group)"},
		{"purge state undeclared", minimal + "package:\n  purge: [state]\n", "daemon.yaml:4: package.purge: state: nothing to purge (no service declares a state_directory)"},
		{"services not list", minimal + "services: {a: b}\n", "daemon.yaml:3: services: must be a list of services"},
		{"service missing exec", minimal + "services:\n  - name: b\n", "daemon.yaml:4: services[0].exec: is required"},
		{"service bad exec", minimal + "services:\n  - name: b\n    exec: rel\n", `daemon.yaml:5: services[0].exec: "rel" must be an absolute path`},
		{"service package", minimal + "services:\n  - name: b\n    exec: /x\n    package: {}\n", "daemon.yaml:6: services[0].package: belongs to the top of the file"},
		{"service unknown key", minimal + "services:\n  - name: b\n    exce: /x\n", `daemon.yaml:5: services[0].exce: unknown key (did you mean "exec"?)`},
		{"service duplicate name", minimal + "services:\n  - name: app\n    exec: /x\n", `daemon.yaml:4: services[0].name: "app" is already used by name`},
		{"service name is an alias", minimal + "alias: [b]\nservices:\n  - name: b\n    exec: /x\n", `daemon.yaml:5: services[0].name: "b" is already used by alias[0]`},
		{"service duplicate alias", minimal + "services:\n  - {name: b, exec: /x, alias: [c]}\n  - {name: d, exec: /x, alias: [c]}\n", `daemon.yaml:5: services[1].alias[0]: "c" is already used by services[0].alias[0]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(t, c.yaml)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v is not spec.Errors; want %q", err, c.want)
			}
			for _, e := range errs {
				if strings.HasPrefix(e.Error(), c.want) {
					return
				}
			}
			t.Errorf("got  %q\nwant an error starting %q", err.Error(), c.want)
		})
	}
}

// TestV2Accepted: values at the edges that must build, and a built spec
// passes Validate.
func TestV2Accepted(t *testing.T) {
	for _, y := range []string{
		"name: app@\nexec: /usr/bin/app\nargs: [\"--port=%i\", \"100%\"]\nruntime_directory: app-%i/sock\nstate_directory: app/%I\ndescription: app %I\nexec_reload: [/bin/kill, -HUP, \"%i\"]\nexec_start_pre: [[/usr/bin/app, -t, \"%i\"]]\nenvironment: {X: \"%i\"}\n",
		minimal + "args: [\"100%\", \"%%\", \"%n\"]\n",
		minimal + "reload: none\nlogrotate:\n  files: [/var/log/app/*.log, /var/log/app.log]\n",
		minimal + "capability_bounding_set: []\nambient_capabilities: []\n",
		minimal + "umask: \"0o077\"\nstop_timeout: 1s\nsend_sigkill: true\nkill_mode: process\nstart_limit_burst: 100000\n",
		minimal + "hardening_overrides:\n  system_call_filter: []\n  restrict_address_families: AF_UNIX AF_INET AF_INET6 AF_NETLINK\n  ip_address_deny: any\n  device_allow: /dev/null rw\n  restrict_suid_sgid: true\n",
		minimal + "user: app\ngroup: daemons\nconfiguration_directory: app\ncache_directory: [app]\nlogs_directory: app\nstate_directory: app\npackage:\n  purge: [configuration, cache, logs, state, account]\n  files:\n    - {src: a, dst: /etc/app/app.conf, owner: app, mode: \"0660\"}\n  directories:\n    - {path: /var/lib/app-data, owner: postgres, group: postgres}\n",
		minimal + "package:\n  homepage: \"https://example.org/a b\"\n",
	} {
		s, err := build(t, y)
		if err != nil {
			t.Errorf("%q: Build: %v", y, err)
			continue
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%q: Validate of a built spec: %v", y, err)
		}
	}
}

// TestV2Defaulted pins defaults that derive from other keys.
func TestV2Defaulted(t *testing.T) {
	s, err := build(t, minimal+"user: app\ngroup: daemons\nreload: none\nlogrotate: {files: [/var/log/app.log]}\npackage:\n  homepage: \"https://example.org/a b\"\n  purge: [account, account]\n  files:\n    - {src: a, dst: /etc/app.conf, owner: app}\n  directories:\n    - {path: /var/lib/app-data, owner: app}\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.LogRotate.Method != RotateCopyTruncate {
		t.Errorf("logrotate method with reload none = %q, want copytruncate", s.LogRotate.Method)
	}
	if len(s.Documentation) != 0 {
		t.Errorf("documentation from a homepage with a space = %q, want none (as the unit always did)", s.Documentation)
	}
	if g := s.Package.Files[0].Group; g != "daemons" {
		t.Errorf("file group = %q, want the owner's service group daemons", g)
	}
	if g := s.Package.Directories[0].Group; g != "daemons" {
		t.Errorf("directory group = %q, want daemons", g)
	}
	if !reflect.DeepEqual(s.Package.Purge, []PurgeItem{PurgeAccount}) {
		t.Errorf("purge = %q", s.Package.Purge)
	}
	h, err := build(t, minimal+"exec_reload: [/bin/true]\npackage:\n  homepage: https://example.org/%7e\n")
	if err != nil {
		t.Fatal(err)
	}
	if h.Reload != ReloadCommand || !reflect.DeepEqual(h.Documentation, []string{"https://example.org/%7e"}) {
		t.Errorf("reload %q, documentation %q", h.Reload, h.Documentation)
	}
}

// TestV2Validate: a Spec changed by hand is held to the v2 rules, with the
// field of a further service named as the file would name it.
func TestV2Validate(t *testing.T) {
	base := func() *Spec {
		s, err := build(t, minimal+"user: app\nstate_directory: app\nexec_reload: [/bin/true]\nservices:\n  - name: b\n    exec: /usr/bin/b\n")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for name, c := range map[string]struct {
		mutate func(*Spec)
		want   string
	}{
		"reload empty":         {func(s *Spec) { s.Reload = "" }, `daemon.yaml: reload: "" must be one of signal, command, none`},
		"exec_reload stray":    {func(s *Spec) { s.Reload = ReloadSignal }, "daemon.yaml:5: exec_reload: is only for reload: command"},
		"infinite mismatch":    {func(s *Spec) { s.StopTimeoutInfinite = true }, "daemon.yaml: stop_timeout: must be MaxDuration when StopTimeoutInfinite is set"},
		"capability lowercase": {func(s *Spec) { s.AmbientCapabilities = []string{"net_raw"} }, `daemon.yaml: ambient_capabilities[0]: "net_raw" must be written CAP_NET_RAW`},
		"directory kind":       {func(s *Spec) { s.Directories[0].Kind = "temp" }, `daemon.yaml: temp_directory[0]: "temp" is not a directory kind`},
		"directory mode":       {func(s *Spec) { s.Directories[0].Mode = 0o4755 }, "daemon.yaml: state_directory_mode: 4755: the setuid bit is refused"},
		"override unknown":     {func(s *Spec) { s.HardeningOverrides = []Override{{"UMask", "0077"}} }, `daemon.yaml: hardening_overrides.u_mask: "UMask" is not a sandboxing directive`},
		"extra exec":           {func(s *Spec) { s.Extra[0].Exec = "rel" }, `daemon.yaml:8: services[0].exec: "rel" must be an absolute path`},
		"extra name clash":     {func(s *Spec) { s.Extra[0].Name = "app" }, `daemon.yaml:7: services[0].name: "app" is already used by name`},
		"extra with package":   {func(s *Spec) { s.Extra[0].Package.Version = "1" }, "daemon.yaml:7: services[0].package: a further service has no package"},
		"burst negative":       {func(s *Spec) { s.StartLimitBurst = -1 }, "daemon.yaml: start_limit_burst: must be from 1 to 100000"},
		"umask three digits":   {func(s *Spec) { s.UMask = "027" }, `daemon.yaml: umask: "027" must be an octal mask`},
		"logrotate method":     {func(s *Spec) { s.LogRotate = &LogRotate{Files: []string{"/var/log/a"}, Frequency: "daily", Rotate: 1} }, `daemon.yaml: logrotate.method: "" must be reload or copytruncate`},
	} {
		t.Run(name, func(t *testing.T) {
			s := base()
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate before the change: %v", err)
			}
			c.mutate(s)
			err := s.Validate()
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), c.want) {
				t.Fatalf("Validate: %v, want one error starting %q", err, c.want)
			}
		})
	}
}

// TestExtraFromConfig: a Config built by hand (no file) names a further
// service's fields as services[N] too, and CheckPackage checks every
// service's environment file.
func TestExtraFromConfig(t *testing.T) {
	c := &Config{Name: "a", Exec: "/usr/bin/a", Package: PackageConfig{Version: "1"},
		Services: []*Config{{Name: "b", Exec: "rel"}}}
	_, err := c.Build()
	if err == nil || err.Error() != `services[0].exec: "rel" must be an absolute path` {
		t.Errorf("Build: %v", err)
	}
	c.Services[0].Exec = "/usr/bin/b"
	c.Services[0].EnvironmentFile = "/etc/passwd"
	s, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPackage(); err == nil || !strings.HasPrefix(err.Error(), `services[0].environment_file: "/etc/passwd" is the system's account database`) {
		t.Errorf("CheckPackage: %v", err)
	}
}

// TestDocumentationDefaultAsBefore: the default documentation is the
// homepage exactly when the unit wrote it before v2.
func TestDocumentationDefaultAsBefore(t *testing.T) {
	for homepage, want := range map[string][]string{
		"https://example.org/":       {"https://example.org/"},
		"http://":                    {"http://"},
		"https://example.org/a%20b":  {"https://example.org/a%20b"},
		"https://example.org/a b":    {},
		"https://example.org/\"x\"":  {},
		"https://example.org/\u00a0": {},
	} {
		s, err := build(t, minimal+"package:\n  homepage: "+strconv.Quote(homepage)+"\n")
		if err != nil {
			t.Fatalf("%q: %v", homepage, err)
		}
		if !reflect.DeepEqual(s.Documentation, want) {
			t.Errorf("homepage %q: documentation %q, want %q", homepage, s.Documentation, want)
		}
	}
	c := &Config{Name: "a", Exec: "/a", Services: []*Config{{Name: "b", Exec: "/b", Services: []*Config{{}}}}}
	if _, err := c.Build(); err == nil || err.Error() != "services[0].package: a further service has no package (or services) of its own" {
		t.Errorf("nested services: %v", err)
	}
}
