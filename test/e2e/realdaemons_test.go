//go:build e2e && linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The third-party daemons packaged from Debian's archive (issue 8): their
// binaries and their own configuration files, unmodified, with the specs
// in examples/.
var (
	memcachedDaemon = realDaemon{example: "memcached", debs: []string{"memcached"}}
	redisDaemon     = realDaemon{example: "redis", debs: []string{"redis-tools", "redis-server"}}
	nginxDaemon     = realDaemon{example: "nginx", debs: []string{"nginx", "nginx-common"}}
)

// TestRealDaemons builds a .deb of memcached, redis-server and nginx from
// the example specs and the archive's binaries, and drives each through
// its life in a container booted with systemd and in one without an init
// (the generated init script): install, answer, options from
// /etc/default, reload as the program supports it, restart, kill -9,
// remove, purge per the spec's policy; and compares systemd-analyze
// security's exposure of our units with Debian's own units.
func TestRealDaemons(t *testing.T) {
	for _, d := range []struct {
		daemon        realDaemon
		systemd, sysv func(*testing.T, realBuild)
	}{
		{memcachedDaemon, memcachedSystemd, memcachedSysV},
		{redisDaemon, redisSystemd, redisSysV},
		{nginxDaemon, nginxSystemd, nginxSysV},
	} {
		t.Run(d.daemon.example, func(t *testing.T) {
			r := realDebs.get(t, d.daemon)
			t.Run("systemd", func(t *testing.T) { d.systemd(t, r) })
			t.Run("sysv", func(t *testing.T) { d.sysv(t, r) })
		})
	}
}

// memcached: a plain foreground daemon whose options come from
// /etc/default/memcached (MEMCACHED_OPTS, args_from_env); no reload.

const memcachedVersion = "version\r\n"

// memcachedArgv is the command line the spec gives with the defaults file
// as shipped: exec, args, then the words of each args_from_env default.
func memcachedArgv(r realBuild) []string {
	s := r.Spec
	argv := append([]string{s.Exec}, s.Args...)
	for _, e := range s.ArgsFromEnv {
		argv = append(argv, strings.Fields(e.Value)...)
	}
	return argv
}

// memcachedPorts moves memcached from port 11211 to 11311 in the defaults
// file, as an administrator would.
func memcachedPorts(c *container, s *specView) {
	c.t.Helper()
	c.mustSh(`sed -i 's/-p 11211/-p 11311/' ` + s.envFile)
	if !strings.Contains(c.must("cat", s.envFile), "-p 11311") {
		c.t.Fatalf("%s: the port did not change:\n%s", s.envFile, c.must("cat", s.envFile))
	}
}

// specView is what the scenarios read from a spec, in one place.
type specView struct {
	name, unit, comm, envFile, pidFile, user string
}

func viewOf(r realBuild) *specView {
	s := r.Spec
	return &specView{name: s.Name, unit: s.Name + ".service", comm: filepath.Base(s.Exec), envFile: s.EnvironmentFile, pidFile: s.PIDFile, user: s.User}
}

func memcachedSystemd(t *testing.T, r realBuild) {
	s := viewOf(r)
	c := startContainer(t, rootfsDir, bootSystemd)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	runSteps(t, c, []step{
		{"install", func(c *container) {
			c.must("dpkg", "-i", deb)
			st := c.waitActive(s.unit)
			if st.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q, want enabled", s.unit, st.UnitFileState)
			}
			pid = st.MainPID
			c.checkUser(pid, s.user)
			c.wantArgv(pid, memcachedArgv(r))
			c.waitAnswer(11211, memcachedVersion, "VERSION ")
			if env := c.must("cat", s.envFile); !strings.Contains(env, `MEMCACHED_OPTS="`+r.Spec.ArgsFromEnv[0].Value+`"`) {
				c.t.Errorf("%s does not set MEMCACHED_OPTS to the spec's default:\n%s", s.envFile, env)
			}
		}},
		{"options-from-etc-default", func(c *container) {
			memcachedPorts(c, s)
			pid = c.restartNewPID(s.unit, pid)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
			c.notListening(11211)
			if argv := c.procArgv(pid); !slices.Contains(argv, "11311") {
				c.t.Errorf("argv %q lacks the port from %s", argv, s.envFile)
			}
		}},
		{"reload-refused", func(c *container) {
			c.reloadRefused(s.unit, pid)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"restart", func(c *container) {
			pid = c.restartNewPID(s.unit, pid)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"kill-9-restarts", func(c *container) {
			pid = c.kill9Restarted(s.unit, pid)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"security", func(c *container) {
			c.scoreVsDebian("memcached", s.unit, "memcached.service", r.debianUnit(c.t, "memcached.service"), "")
		}},
		{"remove", func(c *container) {
			c.must("dpkg", "-r", s.name)
			c.waitNoProcess(s.comm)
			c.kept("dpkg -r", s.envFile)
			if !c.hasAccount(s.user) {
				c.t.Errorf("dpkg -r removed the account %s", s.user)
			}
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(s.envFile, "/lib/systemd/system/"+s.unit)
			if c.hasAccount(s.user) {
				c.t.Errorf("purge (package.purge: account) left the account %s", s.user)
			}
			if l := c.wantLinks(s.unit); len(l) > 0 {
				c.t.Errorf("links left after purge: %v", l)
			}
		}},
	})
}

func memcachedSysV(t *testing.T, r realBuild) {
	s := viewOf(r)
	c := startSysVContainer(t)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	runSteps(t, c, []step{
		{"install-starts", func(c *container) {
			c.must("dpkg", "-i", deb)
			c.sysvInstalled(s.name)
			pid = c.sysvRunning(s.name, s.comm, s.pidFile)
			c.checkUser(pid, s.user)
			c.wantArgv(pid, memcachedArgv(r))
			c.waitAnswer(11211, memcachedVersion, "VERSION ")
		}},
		{"options-from-etc-default", func(c *container) {
			memcachedPorts(c, s)
			c.wantAction(s.name, "restart")
			pid = c.sysvRunning(s.name, s.comm, s.pidFile)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
			c.notListening(11211)
		}},
		{"reload-refused", func(c *container) {
			r := c.exec("/etc/init.d/"+s.name, "reload")
			c.t.Logf("reload: exit %d: %s%s", r.code, r.stdout, r.stderr)
			if r.code != 3 {
				c.t.Errorf("reload exit %d, want 3 (unimplemented: reload none)", r.code)
			}
			if p := c.sysvRunning(s.name, s.comm, s.pidFile); p != pid {
				c.t.Errorf("a refused reload replaced the process: %d -> %d", pid, p)
			}
		}},
		{"force-reload-restarts", func(c *container) {
			c.wantAction(s.name, "force-reload")
			p := c.sysvRunning(s.name, s.comm, s.pidFile)
			if p == pid {
				c.t.Errorf("force-reload of a service without reload kept PID %d", pid)
			}
			pid = p
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"restart", func(c *container) {
			c.wantAction(s.name, "restart")
			p := c.sysvRunning(s.name, s.comm, s.pidFile)
			if p == pid {
				c.t.Errorf("restart kept PID %d", pid)
			}
			pid = p
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"kill-9-not-supervised", func(c *container) {
			c.sysvKill9(s.name, s.comm, pid)
			pid = c.sysvRunning(s.name, s.comm, s.pidFile)
			c.waitAnswer(11311, memcachedVersion, "VERSION ")
		}},
		{"remove-stops", func(c *container) {
			c.must("dpkg", "-r", s.name)
			c.waitNoProcess(s.comm)
			c.kept("dpkg -r", s.envFile)
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(s.envFile, "/etc/init.d/"+s.name)
			if l := c.rcLinks(s.name); len(l) > 0 {
				c.t.Errorf("rc links left after purge: %v", l)
			}
			if c.hasAccount(s.user) {
				c.t.Errorf("purge (package.purge: account) left the account %s", s.user)
			}
		}},
	})
}

// redis-server: type notify with Debian's stock redis.conf, which needs
// /var/lib/redis, /var/log/redis and /run/redis; CONFIG REWRITE replaces
// the file in /etc/redis; no reload (redis ignores SIGHUP); a template
// service redis-server@ for further instances.

// redisCLI runs redis-cli (shipped in the package) against port and
// returns its trimmed output.
func redisCLI(c *container, port int, args ...string) string {
	c.t.Helper()
	return strings.TrimSpace(c.must(append([]string{"redis-cli", "-p", strconv.Itoa(port)}, args...)...))
}

// waitPong waits until redis on port answers PING.
func waitPong(c *container, port int) {
	c.t.Helper()
	c.waitAnswer(port, "PING\r\n", "+PONG")
}

// redisInfo returns one field of INFO server.
func redisInfo(c *container, port int, field string) string {
	c.t.Helper()
	for _, line := range strings.Split(redisCLI(c, port, "info", "server"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	c.t.Fatalf("INFO server on port %d has no %s", port, field)
	return ""
}

// redisStockConfig checks that the installed redis.conf is Debian's, byte
// for byte, with Debian's ownership, and that redis reads it.
func redisStockConfig(c *container, r realBuild) {
	c.t.Helper()
	stock, err := os.ReadFile(filepath.Join(r.Root, "etc", "redis", "redis.conf"))
	if err != nil {
		c.t.Fatalf("%v", err)
	}
	if got := c.must("cat", "/etc/redis/redis.conf"); !bytes.Equal([]byte(got), stock) {
		c.t.Errorf("/etc/redis/redis.conf differs from Debian's")
	}
	c.wantMode("/etc/redis/redis.conf", "redis:redis 640")
	c.wantMode("/etc/redis", "redis:redis 2770")
	if f := redisInfo(c, 6379, "config_file"); f != "/etc/redis/redis.conf" {
		c.t.Errorf("redis reads %q, want /etc/redis/redis.conf", f)
	}
}

// redisData stores a key, saves the data set to /var/lib/redis and changes
// a setting with CONFIG SET + CONFIG REWRITE, which replaces
// /etc/redis/redis.conf: the directories Debian's redis.conf needs are
// there and writable.
func redisData(c *container) {
	c.t.Helper()
	if out := redisCLI(c, 6379, "set", "e2e-key", "e2e-value"); out != "OK" {
		c.t.Fatalf("SET: %q", out)
	}
	if out := redisCLI(c, 6379, "save"); out != "OK" {
		c.t.Fatalf("SAVE: %q", out)
	}
	c.wantMode("/var/lib/redis/dump.rdb", "redis:redis 660")
	if out := redisCLI(c, 6379, "config", "set", "maxmemory", "64mb"); out != "OK" {
		c.t.Fatalf("CONFIG SET: %q", out)
	}
	if out := redisCLI(c, 6379, "config", "rewrite"); out != "OK" {
		c.t.Fatalf("CONFIG REWRITE: %q\nlog:\n%s", out, c.sh("tail -n 5 /var/log/redis/redis-server.log").stdout)
	}
	if conf := c.must("cat", "/etc/redis/redis.conf"); !strings.Contains(conf, "\nmaxmemory 64mb\n") {
		c.t.Errorf("CONFIG REWRITE did not write maxmemory to /etc/redis/redis.conf")
	}
	if log := c.must("cat", "/var/log/redis/redis-server.log"); !strings.Contains(log, "Ready to accept connections") {
		c.t.Errorf("/var/log/redis/redis-server.log has no start message:\n%s", tail(log, 10))
	}
}

// redisLogRotate runs the package's logrotate configuration by force:
// copytruncate keeps redis writing to the same, now empty, file.
func redisLogRotate(c *container) {
	c.t.Helper()
	c.must("logrotate", "--force", "/etc/logrotate.d/redis-server")
	if !strings.Contains(c.must("cat", "/var/log/redis/redis-server.log.1"), "Ready to accept connections") {
		c.t.Fatalf("redis-server.log.1 lacks the start message")
	}
	if out := redisCLI(c, 6379, "save"); out != "OK" {
		c.t.Fatalf("SAVE: %q", out)
	}
	log := c.must("cat", "/var/log/redis/redis-server.log")
	if !strings.Contains(log, "DB saved on disk") || strings.Contains(log, "Ready to accept connections") {
		c.t.Errorf("after copytruncate redis-server.log should hold only what came after:\n%s", tail(log, 5))
	}
}

// redisKeptData checks the key and the rewritten setting after a restart.
func redisKeptData(c *container) {
	c.t.Helper()
	if v := redisCLI(c, 6379, "get", "e2e-key"); v != "e2e-value" {
		c.t.Errorf("after restart GET e2e-key = %q, want e2e-value", v)
	}
	if v := redisCLI(c, 6379, "config", "get", "maxmemory"); !strings.HasSuffix(v, "67108864") {
		c.t.Errorf("after restart maxmemory = %q, want 67108864 (64mb) from the rewritten file", v)
	}
}

// redisPurgePaths are what package.purge [state, logs, configuration,
// account] removes.
var redisPurgePaths = []string{"/var/lib/redis", "/var/log/redis", "/etc/redis"}

func redisSystemd(t *testing.T, r realBuild) {
	s := viewOf(r)
	tmpl := r.service(t, "redis-server@")
	instance := "redis-server@6380.service"
	c := startContainer(t, rootfsDir, bootSystemd)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	runSteps(t, c, []step{
		{"install", func(c *container) {
			c.must("dpkg", "-i", deb)
			st := c.waitActive(s.unit)
			if st.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q, want enabled", s.unit, st.UnitFileState)
			}
			pid = st.MainPID
			c.checkUser(pid, s.user)
			waitPong(c, 6379)
			redisStockConfig(c, r)
			if id := showProp(c, "redis.service", "Id"); id != s.unit {
				c.t.Errorf("alias redis.service is %q, want %s", id, s.unit)
			}
			if st := c.state(tmpl.Name + "6380.service"); st.Active == "active" {
				c.t.Errorf("the template's instance started on install")
			}
		}},
		{"data-config-rewrite", func(c *container) { redisData(c) }},
		{"logrotate-copytruncate", func(c *container) { redisLogRotate(c) }},
		{"reload-refused", func(c *container) {
			c.reloadRefused(s.unit, pid)
			waitPong(c, 6379)
		}},
		{"restart-keeps-data", func(c *container) {
			pid = c.restartNewPID(s.unit, pid)
			waitPong(c, 6379)
			redisKeptData(c)
		}},
		{"kill-9-restarts", func(c *container) {
			pid = c.kill9Restarted(s.unit, pid)
			waitPong(c, 6379)
		}},
		{"template-instance", func(c *container) {
			// The administrator's steps of Debian's redis-server@.service:
			// a copy of redis.conf with its own port, pidfile, log and dump.
			c.mustSh(`sed -e 's/^port 6379$/port 6380/' \
				-e 's|^pidfile .*|pidfile /run/redis-server-6380/redis-server.pid|' \
				-e 's|^logfile .*|logfile /var/log/redis/redis-server-6380.log|' \
				-e 's/^dbfilename .*/dbfilename dump-6380.rdb/' \
				/etc/redis/redis.conf > /etc/redis/redis-6380.conf
				chown redis:redis /etc/redis/redis-6380.conf && chmod 0640 /etc/redis/redis-6380.conf
				grep -q '^port 6380$' /etc/redis/redis-6380.conf`)
			c.must("systemctl", "start", instance)
			ist := c.waitActive(instance)
			c.checkUser(ist.MainPID, tmpl.User)
			waitPong(c, 6380)
			if f := redisInfo(c, 6380, "config_file"); f != "/etc/redis/redis-6380.conf" {
				c.t.Errorf("redis-server@6380 reads %q", f)
			}
			if out := redisCLI(c, 6380, "config", "rewrite"); out != "OK" {
				c.t.Errorf("CONFIG REWRITE on 6380: %q", out)
			}
			if st := c.waitActive(s.unit); st.MainPID != pid {
				c.t.Errorf("the main service changed PID %d -> %d beside the instance", pid, st.MainPID)
			}
			waitPong(c, 6379)
		}},
		{"security", func(c *container) {
			c.scoreVsDebian("redis-server", s.unit, "redis-server.service", r.debianUnit(c.t, "redis-server.service"), "")
			c.scoreVsDebian("redis-server@", instance, "redis-server@.service", r.debianUnit(c.t, "redis-server@.service"), "6380")
		}},
		{"remove", func(c *container) {
			c.must("dpkg", "-r", s.name)
			// Every redis-server process is gone: the instance too.
			c.waitNoProcess(s.comm)
			if st := c.state(instance); st.Active == "active" {
				c.t.Errorf("%s still active after dpkg -r", instance)
			}
			c.kept("dpkg -r", append(redisPurgePaths, "/etc/redis/redis.conf", "/var/lib/redis/dump.rdb")...)
			if !c.hasAccount(s.user) {
				c.t.Errorf("dpkg -r removed the account %s", s.user)
			}
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(redisPurgePaths...)
			if c.hasAccount(s.user) {
				c.t.Errorf("purge left the account %s", s.user)
			}
			if l := c.wantLinks(s.unit); len(l) > 0 {
				c.t.Errorf("links left after purge: %v", l)
			}
			if l := c.wantLinks("redis.service"); len(l) > 0 {
				c.t.Errorf("alias links left after purge: %v", l)
			}
		}},
	})
}

func redisSysV(t *testing.T, r realBuild) {
	s := viewOf(r)
	c := startSysVContainer(t)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	runSteps(t, c, []step{
		{"install-starts", func(c *container) {
			c.must("dpkg", "-i", deb)
			c.sysvInstalled(s.name)
			pid = c.sysvRunning(s.name, s.comm, s.pidFile)
			c.checkUser(pid, s.user)
			waitPong(c, 6379)
			redisStockConfig(c, r)
			if c.exists("/etc/init.d/redis-server@") {
				c.t.Errorf("an init script was installed for the template service")
			}
		}},
		{"data-config-rewrite", func(c *container) { redisData(c) }},
		{"logrotate-copytruncate", func(c *container) { redisLogRotate(c) }},
		{"reload-refused", func(c *container) {
			r := c.exec("/etc/init.d/"+s.name, "reload")
			c.t.Logf("reload: exit %d: %s%s", r.code, r.stdout, r.stderr)
			if r.code != 3 {
				c.t.Errorf("reload exit %d, want 3 (unimplemented: reload none)", r.code)
			}
			if p := c.sysvRunning(s.name, s.comm, s.pidFile); p != pid {
				c.t.Errorf("a refused reload replaced the process: %d -> %d", pid, p)
			}
		}},
		{"restart-keeps-data", func(c *container) {
			c.wantAction(s.name, "restart")
			p := c.sysvRunning(s.name, s.comm, s.pidFile)
			if p == pid {
				c.t.Errorf("restart kept PID %d", pid)
			}
			pid = p
			waitPong(c, 6379)
			redisKeptData(c)
		}},
		{"kill-9-not-supervised", func(c *container) {
			c.sysvKill9(s.name, s.comm, pid)
			pid = c.sysvRunning(s.name, s.comm, s.pidFile)
			waitPong(c, 6379)
		}},
		{"remove-stops", func(c *container) {
			c.must("dpkg", "-r", s.name)
			c.waitNoProcess(s.comm)
			c.kept("dpkg -r", append(redisPurgePaths, "/etc/redis/redis.conf")...)
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(append(redisPurgePaths, "/etc/init.d/"+s.name)...)
			if c.hasAccount(s.user) {
				c.t.Errorf("purge left the account %s", s.user)
			}
			if l := c.rcLinks(s.name); len(l) > 0 {
				c.t.Errorf("rc links left after purge: %v", l)
			}
		}},
	})
}

// nginx: a forking daemon whose master runs as root and whose workers run
// as www-data (Debian's nginx.conf); nginx -t before start and reload;
// reload is nginx -s reload.

const httpGet = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"

// nginxSite is a server added to conf.d by the reload steps.
const nginxSite = "server {\n\tlisten 127.0.0.1:8080;\n\tlocation / { return 200 \"e2e-reloaded\\n\"; }\n}\n"

// nginxPurgePaths are what package.purge [state, logs, configuration]
// removes.
var nginxPurgePaths = []string{"/var/lib/nginx", "/var/log/nginx", "/etc/nginx"}

// nginxServes checks the stock site and the workers' account.
func nginxServes(c *container) {
	c.t.Helper()
	c.waitAnswer(80, httpGet, "Welcome to nginx")
	if w := c.exec("pgrep", "-u", "www-data", "-x", "nginx"); w.code != 0 {
		c.t.Errorf("no nginx worker runs as www-data: %v", w)
	}
}

// nginxLogRotate runs the package's logrotate configuration by force and
// checks that nginx let go of the rotated access.log (the postrotate
// reload): a request made afterwards is logged in the new file only.
func nginxLogRotate(c *container) {
	c.t.Helper()
	c.waitAnswer(80, "GET /e2e-before-rotate HTTP/1.0\r\n\r\n", "404")
	c.must("logrotate", "--force", "/etc/logrotate.d/nginx")
	if !strings.Contains(c.must("cat", "/var/log/nginx/access.log.1"), "e2e-before-rotate") {
		c.t.Fatalf("access.log.1 lacks the request made before the rotation")
	}
	c.wantMode("/var/log/nginx/access.log", "root:root 640")
	// nginx -s reload returns once the master has the signal; old workers
	// finish their requests in the old file, new ones log in the new file.
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		path := fmt.Sprintf("/e2e-after-rotate-%d", i)
		c.waitAnswer(80, "GET "+path+" HTTP/1.0\r\n\r\n", "404")
		if strings.Contains(c.must("cat", "/var/log/nginx/access.log"), path+" ") {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("nginx still logs to the rotated file after a minute:\naccess.log.1:\n%s", tail(c.must("cat", "/var/log/nginx/access.log.1"), 5))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// nginxBrokenConfig writes a configuration nginx -t rejects; reload must
// refuse it and leave the running nginx serving the old one.
func nginxBrokenConfig(c *container) {
	c.writeFile("/etc/nginx/conf.d/e2e-broken.conf", []byte("this is not nginx\n"), 0o644)
}

func nginxSystemd(t *testing.T, r realBuild) {
	s := viewOf(r)
	c := startContainer(t, rootfsDir, bootSystemd)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	runSteps(t, c, []step{
		{"install", func(c *container) {
			c.must("dpkg", "-i", deb)
			st := c.waitActive(s.unit)
			if st.UnitFileState != "enabled" {
				c.t.Errorf("%s UnitFileState = %q, want enabled", s.unit, st.UnitFileState)
			}
			pid = st.MainPID
			c.checkUser(pid, "root")
			if fp := c.pidFromFile(s.pidFile); fp != pid {
				c.t.Errorf("pidfile says %d, MainPID is %d", fp, pid)
			}
			nginxServes(c)
		}},
		{"reload-new-config", func(c *container) {
			c.writeFile("/etc/nginx/conf.d/e2e.conf", []byte(nginxSite), 0o644)
			c.must("systemctl", "reload", s.unit)
			if st := c.waitActive(s.unit); st.MainPID != pid {
				c.t.Fatalf("reload replaced the master: %d -> %d", pid, st.MainPID)
			}
			c.waitAnswer(8080, httpGet, "e2e-reloaded")
		}},
		{"reload-broken-config-refused", func(c *container) {
			nginxBrokenConfig(c)
			r := c.exec("systemctl", "reload", s.unit)
			c.t.Logf("systemctl reload with a broken configuration: exit %d: %s", r.code, strings.TrimSpace(r.stderr))
			if r.code == 0 {
				c.t.Errorf("reload with a broken configuration succeeded")
			}
			if st := c.waitActive(s.unit); st.MainPID != pid {
				c.t.Fatalf("a refused reload replaced the master: %d -> %d", pid, st.MainPID)
			}
			c.waitAnswer(8080, httpGet, "e2e-reloaded")
			c.must("rm", "/etc/nginx/conf.d/e2e-broken.conf")
		}},
		{"logrotate-reloads", func(c *container) {
			nginxLogRotate(c)
			if st := c.waitActive(s.unit); st.MainPID != pid {
				c.t.Errorf("the rotation's reload replaced the master: %d -> %d", pid, st.MainPID)
			}
		}},
		{"restart", func(c *container) {
			pid = c.restartNewPID(s.unit, pid)
			nginxServes(c)
		}},
		{"kill-9-restarts", func(c *container) {
			pid = c.kill9Restarted(s.unit, pid)
			nginxServes(c)
		}},
		{"security", func(c *container) {
			c.scoreVsDebian("nginx", s.unit, "nginx.service", r.debianUnit(c.t, "nginx.service"), "")
		}},
		{"remove", func(c *container) {
			c.must("dpkg", "-r", s.name)
			c.waitNoProcess(s.comm)
			c.kept("dpkg -r", "/etc/nginx/nginx.conf", "/var/log/nginx/access.log")
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(nginxPurgePaths...)
			if l := c.wantLinks(s.unit); len(l) > 0 {
				c.t.Errorf("links left after purge: %v", l)
			}
		}},
	})
}

func nginxSysV(t *testing.T, r realBuild) {
	s := viewOf(r)
	c := startSysVContainer(t)
	deb := c.copyIn(r.Deb, "/root")
	var pid int
	master := func(c *container) int {
		c.t.Helper()
		if code := c.initScript(s.name, "status"); code != 0 {
			x := c.sh("sh -x /etc/init.d/" + s.name + " start 2>&1 | tail -n 30")
			c.t.Fatalf("status exit %d, want 0; trace of a start attempt:\n%s", code, x.stdout)
		}
		p := c.pidFromFile(s.pidFile)
		c.checkUser(p, "root")
		return p
	}
	runSteps(t, c, []step{
		{"install-starts", func(c *container) {
			c.must("dpkg", "-i", deb)
			c.sysvInstalled(s.name)
			pid = master(c)
			nginxServes(c)
		}},
		{"reload-new-config", func(c *container) {
			c.writeFile("/etc/nginx/conf.d/e2e.conf", []byte(nginxSite), 0o644)
			c.wantAction(s.name, "reload")
			if p := master(c); p != pid {
				c.t.Fatalf("reload replaced the master: %d -> %d", pid, p)
			}
			c.waitAnswer(8080, httpGet, "e2e-reloaded")
		}},
		{"reload-broken-config-refused", func(c *container) {
			nginxBrokenConfig(c)
			r := c.exec("/etc/init.d/"+s.name, "reload")
			c.t.Logf("reload with a broken configuration: exit %d: %s%s", r.code, r.stdout, r.stderr)
			if r.code == 0 {
				c.t.Errorf("reload with a broken configuration exit 0")
			}
			for _, action := range []string{"restart", "force-reload"} {
				if code := c.initScript(s.name, action); code == 0 {
					c.t.Errorf("%s with a broken configuration exit 0", action)
				}
			}
			if p := master(c); p != pid {
				c.t.Fatalf("a refused reload or restart replaced the master: %d -> %d", pid, p)
			}
			c.waitAnswer(8080, httpGet, "e2e-reloaded")
			c.must("rm", "/etc/nginx/conf.d/e2e-broken.conf")
		}},
		{"logrotate-reloads", func(c *container) {
			nginxLogRotate(c)
			if p := master(c); p != pid {
				c.t.Errorf("the rotation's reload replaced the master: %d -> %d", pid, p)
			}
		}},
		{"restart", func(c *container) {
			c.wantAction(s.name, "restart")
			p := master(c)
			if p == pid {
				c.t.Errorf("restart kept the master %d", pid)
			}
			pid = p
			nginxServes(c)
		}},
		{"kill-9-not-supervised", func(c *container) {
			// Without the master its workers live on and keep the ports:
			// no supervisor and no cgroup on a SysV host, and the init
			// script knows the process group only through its living
			// leader. stop, then start, is what the administrator does.
			c.must("kill", "-9", strconv.Itoa(pid))
			c.waitNoProcessPID(pid)
			if code := c.initScript(s.name, "status"); code != 1 {
				c.t.Errorf("status after kill -9 of the master exit %d, want 1 (dead, pidfile left)", code)
			}
			orphans := c.pids(s.comm)
			r := c.exec("/etc/init.d/"+s.name, "stop")
			c.t.Logf("kill -9 of the master %d left workers %v; stop: exit %d: %s", pid, orphans, r.code, strings.TrimSpace(r.stdout+r.stderr))
			if left := c.pids(s.comm); len(left) > 0 {
				c.t.Logf("stop did not end the orphaned workers %v; killing them by hand", left)
				for _, p := range left {
					c.exec("kill", "-9", strconv.Itoa(p))
				}
				c.waitNoProcess(s.comm)
			}
			c.wantAction(s.name, "start")
			pid = master(c)
			nginxServes(c)
		}},
		{"remove-stops", func(c *container) {
			c.must("dpkg", "-r", s.name)
			c.waitNoProcess(s.comm)
			c.kept("dpkg -r", "/etc/nginx/nginx.conf")
		}},
		{"purge", func(c *container) {
			c.must("dpkg", "-P", s.name)
			c.purged(append(nginxPurgePaths, "/etc/init.d/"+s.name)...)
		}},
	})
}
