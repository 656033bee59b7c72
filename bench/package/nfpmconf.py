#!/usr/bin/env python3
"""Writes nfpm-deb.yaml and nfpm-rpm.yaml in WORK: nfpm CLI configurations
equivalent to what `daemonctl package` built (same files, modes, config
flags, scripts, metadata, compression), from the unpacked packages."""
import json, os, stat, subprocess, sys

work, deb, rpm = sys.argv[1:4]

def q(v):
    return json.dumps(v)  # JSON strings are valid YAML

def field(name):
    return subprocess.run(["dpkg-deb", "--field", deb, name], capture_output=True, text=True, check=True).stdout.rstrip("\n")

def rpmq(fmt):
    return subprocess.run(["rpm", "-qp", "--nosignature", "--queryformat", fmt, rpm], capture_output=True, text=True, check=True).stdout

desc = field("Description").split("\n")
description = "\n".join([desc[0]] + [l[1:] for l in desc[1:]])
common = f"""name: bigd
arch: amd64
platform: linux
version: 1.0.0
version_schema: none
release: "1"
section: {field("Section")}
priority: {field("Priority")}
maintainer: {q(field("Maintainer"))}
description: {q(description)}
license: MIT
disable_globbing: true
umask: 0o022
"""

def contents(tree, entries):
    out = ["contents:"]
    for path, typ in entries:
        mode = stat.S_IMODE(os.stat(os.path.join(tree, path.lstrip("/"))).st_mode)
        out.append(f"  - src: {q(os.path.join(tree, path.lstrip('/')))}\n    dst: {q(path)}\n    type: {typ}\n    file_info:\n      mode: 0o{mode:o}")
    return "\n".join(out) + "\n"

# deb: every regular file of the unpacked tree; conffiles as config|noreplace.
tree = os.path.join(work, "tree-deb")
conffiles = set(open(os.path.join(tree, "DEBIAN", "conffiles")).read().split())
entries = []
for root, dirs, files in os.walk(tree):
    dirs[:] = [d for d in dirs if d != "DEBIAN"]
    for f in files:
        p = "/" + os.path.relpath(os.path.join(root, f), tree)
        entries.append((p, "config|noreplace" if p in conffiles else "file"))
entries.sort()
scripts = "\n".join(f"  {n}: {q(os.path.join(tree, 'DEBIAN', f))}" for n, f in
                    [("postinstall", "postinst"), ("preremove", "prerm"), ("postremove", "postrm")]
                    if os.path.exists(os.path.join(tree, "DEBIAN", f)))
with open(os.path.join(work, "nfpm-deb.yaml"), "w") as fh:
    fh.write(common + contents(tree, entries) + "scripts:\n" + scripts + "\ndeb:\n  compression: gzip:9\n")

# rpm: the payload's files with rpm's flags (config, license).
tree = os.path.join(work, "tree-rpm")
entries = []
for line in rpmq("[%{FILENAMES}\t%{FILEFLAGS:fflags}\n]").splitlines():
    p, flags = line.split("\t")
    typ = "config|noreplace" if "c" in flags else "license" if "l" in flags else "file"
    entries.append((p, typ))
tags = {"preinstall": "PREIN", "postinstall": "POSTIN", "preremove": "PREUN", "postremove": "POSTUN"}
scripts = "\n".join(f"  {n}: {q(os.path.join(work, 'rpm.' + t))}" for n, t in tags.items())
changelog = os.path.join(work, "rpm-changelog.yaml")
times = rpmq("[%{CHANGELOGTIME}\n]").split()
names = rpmq("[%{CHANGELOGNAME}\n]").splitlines()
texts = rpmq("[%{CHANGELOGTEXT}\n]").splitlines()
with open(changelog, "w") as fh:
    import datetime
    for t, n, x in zip(times, names, texts):
        packager, _, semver = n.rpartition(" - ")
        date = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).isoformat()
        fh.write(f"- semver: {q(semver)}\n  date: {q(date)}\n  packager: {q(packager)}\n  changes:\n    - commit: \"\"\n      note: {q(x.lstrip('- '))}\n")
with open(os.path.join(work, "nfpm-rpm.yaml"), "w") as fh:
    fh.write(common + f"homepage: \"\"\nchangelog: {q(changelog)}\n" + contents(tree, entries) + "scripts:\n" + scripts +
             f"\nrpm:\n  summary: {q(rpmq('%{SUMMARY}'))}\n  group: {q(rpmq('%{GROUP}'))}\n  buildhost: localhost\n  compression: gzip:9\n")
