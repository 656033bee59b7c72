package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	files := []File{{Name: "a.service", Mode: 0o644, Data: []byte("A")}, {Name: "a", Mode: 0o755, Data: []byte("#!/bin/sh\n")}}
	if err := WriteAll(dir, files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		info, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != f.Mode {
			t.Errorf("%s: mode %v, want %v", f.Name, info.Mode().Perm(), f.Mode)
		}
		data, _ := os.ReadFile(filepath.Join(dir, f.Name))
		if string(data) != string(f.Data) {
			t.Errorf("%s: content %q", f.Name, data)
		}
	}
	assertOnly(t, dir, "a", "a.service")
}

// TestWriteAllIsAllOrNothing: when one file of the set cannot be written, no
// file is replaced and no temporary file is left behind.
func TestWriteAllIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteAll(dir, []File{{Name: "keep", Mode: 0o644, Data: []byte("new")}, {Name: "../escape", Mode: 0o644}})
	if err == nil {
		t.Fatal("no error for a name with a path separator")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "keep"))
	if string(data) != "old" {
		t.Errorf("keep was replaced: %q", data)
	}
	assertOnly(t, dir, "keep")

	// A non-empty directory standing where the file must go fails the
	// rename itself: the temporary file is removed again.
	if err := os.Mkdir(filepath.Join(dir, "blocked"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blocked", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, []File{{Name: "blocked", Mode: 0o644, Data: []byte("x")}}); err == nil {
		t.Fatal("no error renaming over a non-empty directory")
	}
	assertOnly(t, dir, "blocked", "keep")
}

// TestWriteAllSecondRenameFails: when the second file of a set cannot be
// put in place (a directory stands at its name), the first file keeps its
// old content and nothing else is left behind.
func TestWriteAllSecondRenameFails(t *testing.T) {
	for _, blocker := range []string{"empty dir", "non-empty dir"} {
		t.Run(blocker, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "web.service"), []byte("old unit"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, "web.socket"), 0o755); err != nil {
				t.Fatal(err)
			}
			if blocker == "non-empty dir" {
				if err := os.WriteFile(filepath.Join(dir, "web.socket", "x"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteAll(dir, []File{
				{Name: "web.service", Mode: 0o644, Data: []byte("new unit")},
				{Name: "web.socket", Mode: 0o644, Data: []byte("new socket")},
			})
			if err == nil {
				t.Fatal("no error with a directory at web.socket")
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "web.service")); string(data) != "old unit" {
				t.Errorf("web.service was replaced: %q", data)
			}
			assertOnly(t, dir, "web.service", "web.socket")
		})
	}
}

// TestWriteAllNewFilesRemovedOnFailure: a file of the set that did not
// exist before does not stay behind when a later one fails.
func TestWriteAllNewFilesRemovedOnFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteAll(dir, []File{{Name: "a", Mode: 0o644, Data: []byte("a")}, {Name: "b", Mode: 0o644}}); err == nil {
		t.Fatal("no error with a directory at b")
	}
	assertOnly(t, dir, "b")
}

// TestWriteAllRollsBack: when a rename fails after earlier files of the
// set are in place (a directory appearing at a name after the check, a
// full or failing disk), the earlier files get their old content back or
// disappear again, and no temporary or backup file is left. Without hard
// links the old content is kept by a copy.
func TestWriteAllRollsBack(t *testing.T) {
	errRename := errors.New("injected rename failure")
	errLink := errors.New("injected link failure")
	for _, links := range []bool{true, false} {
		t.Run(fmt.Sprintf("links=%v", links), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.service"), []byte("old a"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "c.socket"), []byte("old c"), 0o644); err != nil {
				t.Fatal(err)
			}
			renames := 0
			ops := fsOps{
				rename: func(from, to string) error {
					if strings.HasPrefix(filepath.Base(from), ".c.socket.tmp-") {
						return errRename
					}
					renames++
					return os.Rename(from, to)
				},
				link: os.Link,
			}
			if !links {
				ops.link = func(string, string) error { return errLink }
			}
			err := writeAll(dir, []File{
				{Name: "a.service", Mode: 0o644, Data: []byte("new a")},
				{Name: "b.new", Mode: 0o644, Data: []byte("new b")},
				{Name: "c.socket", Mode: 0o644, Data: []byte("new c")},
			}, ops)
			if !errors.Is(err, errRename) {
				t.Fatalf("error %v, want the rename failure", err)
			}
			if renames < 2 {
				t.Fatalf("only %d renames before the failure: the rollback was not exercised", renames)
			}
			for name, want := range map[string]string{"a.service": "old a", "c.socket": "old c"} {
				if data, _ := os.ReadFile(filepath.Join(dir, name)); string(data) != want {
					t.Errorf("%s holds %q, want %q", name, data, want)
				}
			}
			if info, err := os.Stat(filepath.Join(dir, "a.service")); err != nil {
				t.Error(err)
			} else if info.Mode().Perm() != 0o600 {
				t.Errorf("a.service mode after rollback: %v, want 0600", info.Mode())
			}
			assertOnly(t, dir, "a.service", "c.socket")
		})
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("directory holds %q, want %q", got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("directory holds %q, want %q", got, names)
		}
	}
}
