package packaging

// rpmArches maps Debian architecture names (what spec.Package.Arch holds) to
// the names rpm uses in package headers and file names. Names missing here
// are used unchanged by both formats (e.g. riscv64, s390x).
var rpmArches = map[string]string{
	"all":      "noarch",
	"amd64":    "x86_64",
	"arm64":    "aarch64",
	"armel":    "armv5tel",
	"armhf":    "armv7hl",
	"i386":     "i686",
	"loong64":  "loongarch64",
	"mips64el": "mips64el",
	"mipsel":   "mipsel",
	"ppc64":    "ppc64",
	"ppc64el":  "ppc64le",
	"riscv64":  "riscv64",
	"s390x":    "s390x",
}

// RPMArch returns rpm's name for the Debian architecture arch, e.g.
// "x86_64" for "amd64"; names without a known mapping come back unchanged.
func RPMArch(arch string) string {
	if a, ok := rpmArches[arch]; ok {
		return a
	}
	return arch
}

// DebianArch returns Debian's name for the rpm architecture arch, e.g.
// "amd64" for "x86_64"; it is the inverse of RPMArch, and names without a
// known mapping come back unchanged.
func DebianArch(arch string) string {
	for deb, rpm := range rpmArches {
		if rpm == arch {
			return deb
		}
	}
	return arch
}
