package packaging

import (
	"debug/elf"
	"errors"
	"io"
	"os"
	"strings"
)

// binaryInfo is what packaging needs to know about a shipped ELF file.
type binaryInfo struct {
	ELF      bool // the file is an ELF object; the other fields are meaningful only then
	Static   bool // no program interpreter and no dynamic section: statically linked
	Unstrip  bool // has a symbol table or DWARF sections that strip would remove
	NeedLibc bool // dynamically linked against the C library (libc.so.6)
}

// inspectBinary reads the ELF headers of path. A file that is not ELF (it
// does not start with the ELF magic, or its headers do not parse, however
// short it is) is reported as such with a nil error; only I/O failures are
// errors.
func inspectBinary(path string) (binaryInfo, error) {
	r, err := os.Open(path)
	if err != nil {
		return binaryInfo{}, err
	}
	defer r.Close()
	magic := make([]byte, len(elf.ELFMAG))
	switch _, err := io.ReadFull(r, magic); {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && string(magic) != elf.ELFMAG):
		return binaryInfo{}, nil
	case err != nil:
		return binaryInfo{}, err
	}
	f, err := elf.NewFile(r)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return binaryInfo{}, nil
		}
		return binaryInfo{}, err
	}
	defer f.Close()
	info := binaryInfo{ELF: true, Static: true}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			info.Static = false
		}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			info.Unstrip = true
		}
	}
	if !info.Static {
		libs, err := f.ImportedLibraries()
		if err == nil {
			for _, l := range libs {
				if strings.HasPrefix(l, "libc.so.") {
					info.NeedLibc = true
				}
			}
		}
	}
	return info, nil
}
