#!/bin/sh
# Packaging benchmark: `daemonctl package` (.deb and .rpm) for a 20 MiB
# program, side by side with the nfpm command line on an equivalent
# configuration (same files, modes, scripts, compression) and with
# `dpkg-deb --build` at the same compression (the floor).
#
#   bench/package/run.sh            # 10 runs per command, writes RESULTS.md
#   RUNS=3 bench/package/run.sh     # fewer runs
#   SMOKE=1 bench/package/run.sh    # one run each, proves the harness, no report
#
# Needs: go, dpkg-deb, rpm2cpio, cpio, python3. Run from anywhere.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$repo/build/bench-package
runs=${RUNS:-10}
[ -n "${SMOKE:-}" ] && runs=1
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

cd "$repo"
mkdir -p build "$work"

# Our tool and the nfpm CLI at the version go.mod pins, built from the module
# cache as a module of its own (its command needs dependencies we do not).
# build/daemonctl is shared with other make targets: use a copy of our own.
export CGO_ENABLED=0
go build -trimpath -ldflags='-s -w' -o "$work/daemonctl" ./cmd/daemonctl
if [ -d cmd/daemonctl-build ]; then
    # daemonctl hands package over to daemonctl-build (execve) found beside it.
    go build -trimpath -ldflags='-s -w' -o "$work/daemonctl-build" ./cmd/daemonctl-build
fi
daemonctl=$work/daemonctl
nfpm_version=$(go list -m -f '{{.Version}}' github.com/goreleaser/nfpm/v2)
nfpm=build/nfpm-$nfpm_version
if ! [ -x "$nfpm" ]; then
    nfpm_dir=$(go list -m -f '{{.Dir}}' github.com/goreleaser/nfpm/v2)
    (cd "$nfpm_dir" && go build -trimpath -ldflags='-s -w' -o "$repo/$nfpm" ./cmd/nfpm)
fi

# The input: 20 MiB of real (stripped) Go machine code, so that it compresses
# like a real binary; the same file for every tool.
big=$work/bigd
if ! [ -f "$big" ] || [ "$(stat -c %s "$big")" -ne 20971520 ]; then
    go build -trimpath -ldflags='-s -w' -o "$work/part1" ./cmd/daemonctl
    go build -trimpath -ldflags='-s -w' -o "$work/part2" ./cmd/echod
    cp "$nfpm" "$work/part3"
    : >"$big.tmp"
    while [ "$(stat -c %s "$big.tmp")" -lt 20971520 ]; do
        cat "$work/part1" "$work/part3" "$work/part2" >>"$big.tmp"
    done
    head -c 20971520 "$big.tmp" >"$big" && rm -f "$big.tmp" "$work"/part?
    chmod 0755 "$big"
fi

cat >"$work/daemon.yaml" <<'EOF'
name: bigd
description: packaging benchmark daemon
exec: /usr/bin/bigd
user: bigd
package:
  version: 1.0.0
  release: "1"
  arch: amd64
  maintainer: daemonctl bench <bench@daemonctl.invalid>
  license: MIT
  files:
    - src: bigd
      dst: /usr/bin/bigd
EOF

# Build once with daemonctl and turn what it wrote into the equivalent
# inputs of the other tools: an nfpm config per format naming the same
# files, modes and scripts, and a dpkg-deb tree.
rm -rf "$work/out-daemonctl" "$work/ref" "$work/out-nfpm" "$work/out-dpkg" "$work/tree-deb" "$work/tree-rpm"
mkdir -p "$work/out-daemonctl" "$work/out-nfpm" "$work/out-dpkg" "$work/ref"
"$daemonctl" package -f "$work/daemon.yaml" -o "$work/ref"
deb=$work/ref/bigd_1.0.0-1_amd64.deb
rpm=$work/ref/bigd-1.0.0-1.x86_64.rpm
dpkg-deb -R "$deb" "$work/tree-deb"
mkdir -p "$work/tree-rpm"
(cd "$work/tree-rpm" && rpm2cpio "$rpm" | cpio -idm --quiet --no-absolute-filenames)
for tag in PREIN POSTIN PREUN POSTUN; do
    rpm -qp --nosignature --queryformat "%{$tag}" "$rpm" >"$work/rpm.$tag"
done
python3 "$here/nfpmconf.py" "$work" "$deb" "$rpm"

# dpkg-deb compresses data.tar with gzip at the level nfpm's deb backend
# uses (9, see packaging.debCompression); control.tar as nfpm does (gzip).
dpkg_cmd="dpkg-deb --root-owner-group -Zgzip -z9 --build $work/tree-deb $work/out-dpkg/bigd.deb"

cmd_ours_deb="$daemonctl package -f $work/daemon.yaml --format deb -o $work/out-daemonctl"
cmd_ours_rpm="$daemonctl package -f $work/daemon.yaml --format rpm -o $work/out-daemonctl"
cmd_nfpm_deb="$nfpm package --config $work/nfpm-deb.yaml --packager deb --target $work/out-nfpm/"
cmd_nfpm_rpm="$nfpm package --config $work/nfpm-rpm.yaml --packager rpm --target $work/out-nfpm/"

# Equivalence: the same file list (paths, modes) in every .deb (dpkg-deb
# adds an entry for the root directory itself).
sh -c "$cmd_nfpm_deb" >/dev/null && sh -c "$dpkg_cmd" >/dev/null && sh -c "$cmd_ours_deb" >/dev/null
for d in "$work/out-daemonctl/bigd_1.0.0-1_amd64.deb" "$work/out-nfpm/bigd_1.0.0-1_amd64.deb" "$work/out-dpkg/bigd.deb"; do
    dpkg-deb --contents "$d" | awk '$6 != "./" {print $1, $2, $3, $6}' >"$d.list"
done
cmp "$work/out-daemonctl/bigd_1.0.0-1_amd64.deb.list" "$work/out-nfpm/bigd_1.0.0-1_amd64.deb.list"
cmp "$work/out-daemonctl/bigd_1.0.0-1_amd64.deb.list" "$work/out-dpkg/bigd.deb.list"
# daemonctl and the nfpm CLI must even write byte-identical packages.
sh -c "$cmd_nfpm_rpm" >/dev/null && sh -c "$cmd_ours_rpm" >/dev/null
cmp "$work/out-daemonctl/bigd_1.0.0-1_amd64.deb" "$work/out-nfpm/bigd_1.0.0-1_amd64.deb"
cmp "$work/out-daemonctl/bigd-1.0.0-1.x86_64.rpm" "$work/out-nfpm/bigd-1.0.0-1.x86_64.rpm"

cat /proc/loadavg >"$work/loadavg.before"
# Interleaved rounds rather than hyperfine's one-command-after-another: the
# machine is shared, and a load change must not favour one command.
python3 "$here/interleave.py" "$runs" "$work/results.json" \
    "daemonctl deb" "$cmd_ours_deb" \
    "nfpm deb" "$cmd_nfpm_deb" \
    "dpkg-deb deb" "$dpkg_cmd" \
    "daemonctl rpm" "$cmd_ours_rpm" \
    "nfpm rpm" "$cmd_nfpm_rpm"
cat /proc/loadavg >"$work/loadavg.after"
[ -n "${SMOKE:-}" ] && exit 0
python3 "$here/report.py" "$work" "$runs" >"$here/RESULTS.md"
cat "$here/RESULTS.md"
