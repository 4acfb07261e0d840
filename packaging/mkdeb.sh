#!/usr/bin/env bash
# Builds a Debian package from a `make install DESTDIR=ROOT PREFIX=/usr` tree:
#   packaging/mkdeb.sh ROOT VERSION OUTDIR   ->  OUTDIR/flywall_VERSION_ARCH.deb
# The library dependencies are those dpkg-shlibdeps finds in the binary.
set -euo pipefail
root=$1 version=$2 outdir=$3
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# dpkg-shlibdeps wants a debian/control beside it; it reads nothing from it here.
mkdir -p "$work/debian"
: >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$root/usr/sbin/flywall" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: flywall
Version: $version
Architecture: $arch
Maintainer: Flywall maintainers <maintainers@flywall.invalid>
Section: net
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: clang, llvm, bpftool, iproute2
Description: eBPF dataplane manager: XDP/TC filters, socket filters, tracing
 Flywall's daemon reads the ebpf {} block of an HCL configuration, loads the
 eBPF programs it names, pins their maps, attaches them to XDP, TC, socket
 filters, tracepoints and kprobes, and serves their statistics, events and a
 live dashboard over a REST API; the flywall command is its CLI.
CONTROL
# The unit is enabled by the administrator (systemctl enable --now flywall):
# a firewall should not start on an unwritten configuration.
cat >"$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
SCRIPT
cat >"$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
out="$outdir/flywall_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
