//go:build e2e && linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// rootfsPackages is the package list installed on top of minbase.
//
//go:embed rootfs.packages
var rootfsPackages string

// rootfsFormat changes whenever the way the rootfs is built changes in a way
// the inputs below do not capture, so that old caches are not reused.
const rootfsFormat = "daemonctl-e2e-rootfs/1"

// aptSourceFiles are the host's apt source lists, the only mirrors the rootfs
// is built from. Files that are missing or hold no entries are left out.
func aptSourceFiles() ([]string, error) {
	var files []string
	if hasAptEntries("/etc/apt/sources.list") {
		files = append(files, "/etc/apt/sources.list")
	}
	for _, pattern := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("rootfs: %w", err)
		}
		for _, f := range m {
			if hasAptEntries(f) {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		return nil, errors.New("rootfs: the host has no apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/)")
	}
	sort.Strings(files)
	return files, nil
}

// hasAptEntries reports whether an apt source file has at least one line that
// is neither blank nor a comment.
func hasAptEntries(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}

// hostCodename is VERSION_CODENAME from the host's os-release: the suite the
// rootfs is built for, so it matches the apt sources it is built from.
func hostCodename() (string, error) {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok {
			if v = strings.Trim(v, `"'`); v != "" {
				return v, nil
			}
		}
	}
	return "", errors.New("rootfs: /etc/os-release has no VERSION_CODENAME")
}

// packageList parses rootfsPackages.
func packageList() []string {
	var pkgs []string
	for _, line := range strings.Split(rootfsPackages, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			pkgs = append(pkgs, line)
		}
	}
	return pkgs
}

// rootfsRecipe is everything that decides the content of the rootfs.
type rootfsRecipe struct {
	suite    string
	packages []string
	sources  []string // absolute paths of apt source files
	tool     string   // mmdebstrap --version
}

func newRootfsRecipe() (rootfsRecipe, error) {
	suite, err := hostCodename()
	if err != nil {
		return rootfsRecipe{}, err
	}
	sources, err := aptSourceFiles()
	if err != nil {
		return rootfsRecipe{}, err
	}
	out, err := exec.Command("mmdebstrap", "--version").Output()
	if err != nil {
		return rootfsRecipe{}, fmt.Errorf("rootfs: mmdebstrap --version: %w", err)
	}
	return rootfsRecipe{suite: suite, packages: packageList(), sources: sources, tool: strings.TrimSpace(string(out))}, nil
}

// key hashes the recipe: the format, the suite, the tool version, the package
// list and the name and content of each source file.
func (r rootfsRecipe) key() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nsuite=%s\ntool=%s\npackages=%s\n", rootfsFormat, r.suite, r.tool, strings.Join(r.packages, ","))
	for _, f := range r.sources {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("rootfs: %w", err)
		}
		fmt.Fprintf(h, "source=%s\n%s\n", f, data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureRootfs returns the directory of the cached rootfs for the current
// recipe, building it first when it is missing. Concurrent runs on one
// machine serialise on a lock file; caches of other recipes are removed.
func ensureRootfs(ctx context.Context, cacheDir string, logf func(string, ...any)) (string, error) {
	r, err := newRootfsRecipe()
	if err != nil {
		return "", err
	}
	key, err := r.key()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return "", fmt.Errorf("rootfs: lock %s: %w", lock.Name(), err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN) //nolint:errcheck // closing releases it anyway

	dir := filepath.Join(cacheDir, "rootfs-"+key)
	if _, err := os.Stat(filepath.Join(dir, "etc", "os-release")); err == nil {
		logf("rootfs: cached %s", dir)
		return dir, nil
	}
	pruneRootfs(cacheDir, dir, logf)

	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	args := []string{
		"--variant=minbase", "--mode=root", "--format=directory",
		"--include=" + strings.Join(r.packages, ","),
		r.suite, tmp,
	}
	args = append(args, r.sources...)
	logf("rootfs: building %s with mmdebstrap %s", dir, strings.Join(args, " "))
	start := time.Now()
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("rootfs: mmdebstrap: %w\n%s", err, tail(out.String(), 40))
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	logf("rootfs: built in %s", time.Since(start).Round(time.Second))
	return dir, nil
}

// pruneRootfs removes cached rootfs trees other than keep, so that a changed
// recipe does not leave gigabytes behind.
func pruneRootfs(cacheDir, keep string, logf func(string, ...any)) {
	old, _ := filepath.Glob(filepath.Join(cacheDir, "rootfs-*"))
	for _, d := range old {
		if d == keep {
			continue
		}
		logf("rootfs: removing stale cache %s", d)
		if err := os.RemoveAll(d); err != nil {
			logf("rootfs: %v", err)
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
