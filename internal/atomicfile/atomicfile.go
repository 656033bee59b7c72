package atomicfile

import (
	"errors"
	"fmt"
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
// Nothing is renamed into place until all files are written; on error the
// temporary files are removed and no target file is changed.
func WriteAll(dir string, files []File) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	temps := make([]string, 0, len(files))
	defer func() {
		if err != nil {
			for _, t := range temps {
				_ = os.Remove(t)
			}
		}
	}()
	for _, f := range files {
		if f.Name == "" || filepath.Base(f.Name) != f.Name || f.Name == "." || f.Name == ".." {
			return fmt.Errorf("write %s: invalid file name %q", dir, f.Name)
		}
		tmp, err := writeTemp(dir, f)
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			return err
		}
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	return syncDir(dir)
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
