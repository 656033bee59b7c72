package packaging

import (
	"debug/elf"
	"errors"
	"strings"
)

// binaryInfo is what packaging needs to know about a shipped ELF file.
type binaryInfo struct {
	ELF      bool // the file is an ELF object; the other fields are meaningful only then
	Static   bool // no program interpreter and no dynamic section: statically linked
	Unstrip  bool // has a symbol table or DWARF sections that strip would remove
	NeedLibc bool // dynamically linked against the C library (libc.so.6)
}

// inspectBinary reads the ELF headers of path. A file that is not ELF is
// reported as such with a nil error; only I/O failures are errors.
func inspectBinary(path string) (binaryInfo, error) {
	f, err := elf.Open(path)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
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
