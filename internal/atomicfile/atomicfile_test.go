package atomicfile

import (
	"os"
	"path/filepath"
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
