//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// archiveDeb is one package from the distribution's archive, downloaded at
// the version apt would install and kept in the cache.
type archiveDeb struct {
	Name    string
	Version string // apt's candidate version when it was fetched
	Path    string // the cached .deb on the host
}

// debCache fetches packages with the host's apt (the same sources the
// rootfs is built from) into $DAEMONCTL_E2E_CACHE/debs, one file per
// package and version, and reuses a cached file for as long as apt's
// candidate version stays the same.
type debCache struct {
	dir     string
	updated sync.Once // apt-get update, run at most once when apt knows no candidate
	mu      sync.Mutex
}

var archive = debCache{}

// cacheName is the file name of a package version in the cache: apt's own
// naming, with the epoch's colon escaped as apt-get download does.
func cacheName(name, version string) string {
	return name + "_" + strings.ReplaceAll(version, ":", "%3a") + ".deb"
}

// fetch returns the cached .deb of each named package at apt's candidate
// version, downloading those that are missing. Concurrent test processes
// serialise on the cache's lock file; older versions of a package fetched
// here are removed.
func (d *debCache) fetch(ctx context.Context, names ...string) ([]archiveDeb, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir == "" {
		d.dir = filepath.Join(cfg.cacheDir, "debs")
	}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return nil, fmt.Errorf("debs: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(d.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("debs: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("debs: lock %s: %w", lock.Name(), err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN) //nolint:errcheck // closing releases it anyway

	var debs []archiveDeb
	for _, name := range names {
		version, err := d.candidate(ctx, name)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(d.dir, cacheName(name, version))
		if _, err := os.Stat(path); err != nil {
			if err := d.download(ctx, name, version, path); err != nil {
				return nil, err
			}
		}
		debs = append(debs, archiveDeb{Name: name, Version: version, Path: path})
	}
	return debs, nil
}

// candidate is the version apt would install of name. When apt knows none
// (a machine whose package lists were never downloaded), apt-get update runs
// once and apt is asked again.
func (d *debCache) candidate(ctx context.Context, name string) (string, error) {
	v, err := aptCandidate(ctx, name)
	if err == nil {
		return v, nil
	}
	var updErr error
	d.updated.Do(func() {
		out, err := aptCommand(ctx, "", "apt-get", "update", "-q").CombinedOutput()
		if err != nil {
			updErr = fmt.Errorf("debs: apt-get update: %w\n%s", err, tail(string(out), 20))
		}
	})
	if updErr != nil {
		return "", updErr
	}
	return aptCandidate(ctx, name)
}

// aptCandidate reads the Candidate line of apt-cache policy.
func aptCandidate(ctx context.Context, name string) (string, error) {
	out, err := aptCommand(ctx, "", "apt-cache", "policy", name).Output()
	if err != nil {
		return "", fmt.Errorf("debs: apt-cache policy %s: %w", name, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok {
			if v = strings.TrimSpace(v); v != "" && v != "(none)" {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("debs: apt has no candidate version of %s (apt-cache policy:\n%s)", name, out)
}

// download fetches name=version with apt-get download into a private
// directory, checks the file is that package and version, and moves it to
// path; other cached versions of the package are removed.
func (d *debCache) download(ctx context.Context, name, version, path string) error {
	tmp, err := os.MkdirTemp(d.dir, ".download-")
	if err != nil {
		return fmt.Errorf("debs: %w", err)
	}
	defer os.RemoveAll(tmp)
	// apt drops to its sandbox user for downloads; let it write here.
	_ = os.Chmod(tmp, 0o777)
	start := time.Now()
	if out, err := aptCommand(ctx, tmp, "apt-get", "download", "-q", name+"="+version).CombinedOutput(); err != nil {
		return fmt.Errorf("debs: apt-get download %s=%s: %w\n%s", name, version, err, tail(string(out), 20))
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(files) != 1 {
		return fmt.Errorf("debs: apt-get download %s=%s left %v, want one .deb", name, version, files)
	}
	out, err := exec.CommandContext(ctx, "dpkg-deb", "--show", "--showformat", "${Package}=${Version}", files[0]).Output()
	if err != nil {
		return fmt.Errorf("debs: dpkg-deb --show %s: %w", files[0], err)
	}
	if got := strings.TrimSpace(string(out)); got != name+"="+version {
		return fmt.Errorf("debs: %s is %s, want %s=%s", files[0], got, name, version)
	}
	if err := os.Chmod(files[0], 0o644); err != nil {
		return fmt.Errorf("debs: %w", err)
	}
	if err := os.Rename(files[0], path); err != nil {
		return fmt.Errorf("debs: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(d.dir, name+"_*.deb"))
	for _, o := range old {
		if o != path {
			_ = os.Remove(o)
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: debs: fetched %s in %s\n", filepath.Base(path), time.Since(start).Round(100*time.Millisecond))
	return nil
}

// aptCommand runs an apt tool non-interactively (CI has no terminal and no
// standard input) in dir.
func aptCommand(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	return cmd
}

// extractDebs unpacks every package into dir with dpkg-deb -x, later ones
// over earlier ones, as dpkg would lay them out on a machine.
func extractDebs(ctx context.Context, dir string, debs []archiveDeb) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("debs: %w", err)
	}
	for _, d := range debs {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "dpkg-deb", "-x", d.Path, dir)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("debs: dpkg-deb -x %s: %w\n%s", d.Path, err, out.String())
		}
	}
	return nil
}
