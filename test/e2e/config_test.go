//go:build e2e && linux

package e2e

import (
	"os"
	"path/filepath"
)

// config is the run's configuration, read from the environment once in
// TestMain and not changed afterwards.
type config struct {
	cacheDir string // DAEMONCTL_E2E_CACHE, default /var/cache/daemonctl-e2e
	repo     string // the repository root (two levels above this package)
	quiet    bool   // DAEMONCTL_E2E_QUIET=1: no journal dump on failure
}

var cfg config

func loadConfig() (config, error) {
	c := config{cacheDir: "/var/cache/daemonctl-e2e", quiet: os.Getenv("DAEMONCTL_E2E_QUIET") == "1"}
	if v := os.Getenv("DAEMONCTL_E2E_CACHE"); v != "" {
		c.cacheDir = v
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return c, err
	}
	if _, err := os.Stat(filepath.Join(repo, "go.mod")); err != nil {
		return c, err
	}
	c.repo = repo
	return c, nil
}
