package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is one file to write: Name is relative to the target directory and
// must not contain a path separator; Mode is the final permission bits.
type File struct {
	Name string
	Mode fs.FileMode
	Data []byte
}

// WriteAll writes every file into dir, creating dir (0755) when missing.
//
// It is all or nothing. Every file is first written to a temporary name in
// dir and synced; every target that already exists is kept under a backup
// name (a hard link, or a copy where links fail); only then are the files
// renamed into place, one after the other. When any step fails, the files
// already renamed get their old content back (or are removed when they did
// not exist), the temporary and backup files are removed, and the error
// says what failed. A directory standing at a file's name fails the whole
// set before anything is renamed.
//
// What remains: the renames are atomic one by one, not as a set. During
// the moment between the first and the last rename a reader may see a new
// file beside an old one, and if the process dies right then (power loss,
// SIGKILL) the set stays mixed; the previous versions are then still in
// dir as ".<name>.old-*" files. Mode is applied before the rename; owner
// and group are the writer's.
func WriteAll(dir string, files []File) error {
	return writeAll(dir, files, fsOps{rename: os.Rename, link: os.Link})
}

// fsOps are the operations WriteAll may see fail after it has started to
// replace files; tests make them fail.
type fsOps struct {
	rename func(oldpath, newpath string) error
	link   func(oldpath, newpath string) error
}

func writeAll(dir string, files []File, ops fsOps) (err error) {
	seen := map[string]bool{}
	for _, f := range files {
		if f.Name == "" || filepath.Base(f.Name) != f.Name || f.Name == "." || f.Name == ".." {
			return fmt.Errorf("write %s: invalid file name %q", dir, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("write %s: file %q given twice", dir, f.Name)
		}
		seen[f.Name] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	var (
		temps   []string // temps[i] holds files[i] until it is renamed
		backups []string // backups[i] holds the old files[i], "" when there was none
		renamed int      // files[:renamed] are in place
	)
	defer func() {
		if err == nil {
			return
		}
		var undo []error
		for i := renamed - 1; i >= 0; i-- {
			target := filepath.Join(dir, files[i].Name)
			if backups[i] != "" {
				if rerr := ops.rename(backups[i], target); rerr != nil {
					undo = append(undo, fmt.Errorf("restore %s from %s: %w", target, backups[i], rerr))
					continue
				}
				backups[i] = ""
			} else if rerr := os.Remove(target); rerr != nil {
				undo = append(undo, fmt.Errorf("remove the new %s: %w", target, rerr))
			}
		}
		for i := renamed; i < len(temps); i++ {
			_ = os.Remove(temps[i])
		}
		for i := renamed; i < len(backups); i++ {
			if backups[i] != "" {
				_ = os.Remove(backups[i])
			}
		}
		if renamed > 0 {
			undo = append(undo, syncDir(dir))
		}
		err = errors.Join(append([]error{err}, undo...)...)
	}()
	for _, f := range files {
		tmp, err := writeTemp(dir, f)
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			return err
		}
	}
	for _, f := range files {
		backup, err := keepOld(dir, f.Name, ops.link)
		backups = append(backups, backup)
		if err != nil {
			return err
		}
	}
	for i, f := range files {
		if err := ops.rename(temps[i], filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
		renamed++
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	for _, b := range backups {
		if b != "" {
			_ = os.Remove(b)
		}
	}
	return nil
}

func writeTemp(dir string, f File) (string, error) {
	tmp, err := os.CreateTemp(dir, "."+f.Name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(f.Data)
	cerr := tmp.Chmod(f.Mode)
	serr := tmp.Sync()
	clerr := tmp.Close()
	if err := errors.Join(werr, cerr, serr, clerr); err != nil {
		return name, fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
	}
	return name, nil
}

// keepOld keeps the file at dir/name under a backup name and returns that
// name, or "" when there is no such file. It fails for a directory, which
// no file can replace.
func keepOld(dir, name string, link func(oldpath, newpath string) error) (string, error) {
	target := filepath.Join(dir, name)
	info, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("write %s: %w", target, err)
	case info.IsDir():
		return "", fmt.Errorf("write %s: a directory is in the way", target)
	}
	backup, err := reserveName(dir, "."+name+".old-*")
	if err != nil {
		return "", fmt.Errorf("write %s: keep the old file: %w", target, err)
	}
	if err := link(target, backup); err == nil {
		return backup, nil
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("write %s: keep the old file: cannot link a %v", target, info.Mode().Type())
	}
	if err := copyFile(target, info, backup); err != nil {
		_ = os.Remove(backup)
		return "", fmt.Errorf("write %s: keep the old file: %w", target, err)
	}
	return backup, nil
}

// reserveName returns an unused name in dir matching pattern; the name is
// free when reserveName returns (a link or an exclusive create may take it).
func reserveName(dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return "", err
	}
	return name, nil
}

// copyFile copies the regular file src, whose Lstat is info, to a new file
// dst and syncs it. It refuses a src that is no longer the file info
// describes.
func copyFile(src string, info fs.FileInfo, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if now, err := in.Stat(); err != nil || !os.SameFile(info, now) {
		return fmt.Errorf("%s changed while it was being copied", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	_, cerr := io.Copy(out, in)
	serr := out.Sync()
	clerr := out.Close()
	return errors.Join(cerr, serr, clerr)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
