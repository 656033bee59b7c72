package sysv

import (
	"slices"
	"strings"

	"github.com/daemonctl/daemonctl/spec"
)

// baseFacilities are required by every generated script: the program may
// live on a remote /usr and log through syslog.
var baseFacilities = []string{"$remote_fs", "$syslog"}

// unitFacilities maps systemd units to the LSB facility that stands for
// them. Units without an entry have no LSB equivalent and are dropped.
var unitFacilities = map[string]string{
	"network-online.target": "$network",
	"network.target":        "$network",
	"time-sync.target":      "$time",
	"nss-lookup.target":     "$named",
	"remote-fs.target":      "$remote_fs",
	"local-fs.target":       "$local_fs",
	"rpcbind.service":       "$portmap",
	"rpcbind.socket":        "$portmap",
	"rpcbind.target":        "$portmap",
	"syslog.service":        "$syslog",
	"syslog.socket":         "$syslog",
}

// facilities maps after and requires to Required-Start and wants to
// Should-Start, dropping from Should-Start what is already required.
func facilities(s *spec.Spec) (required, should string) {
	req := slices.Clone(baseFacilities)
	for _, u := range slices.Concat(s.After, s.Requires) {
		if f, ok := unitFacilities[u]; ok && !slices.Contains(req, f) {
			req = append(req, f)
		}
	}
	var opt []string
	for _, u := range s.Wants {
		if f, ok := unitFacilities[u]; ok && !slices.Contains(req, f) && !slices.Contains(opt, f) {
			opt = append(opt, f)
		}
	}
	return strings.Join(req, " "), strings.Join(opt, " ")
}
