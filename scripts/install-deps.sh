#!/usr/bin/env bash
# Install what building and testing Flywall needs, and mount the kernel
# filesystems it uses. Idempotent: installs only missing packages, runs
# `apt-get update` at most once, mounts only what is not mounted yet.
set -euo pipefail

PACKAGES=(
	# build
	make gcc clang llvm pkg-config
	libbpf-dev libelf-dev zlib1g-dev bpftool
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libpcap-dev libmnl-dev
	libcmocka-dev libcap-dev libunistring-dev nettle-dev
	# the fleet: NATS JetStream's C client, and its server for the tests
	libnats-dev nats-server
	# HashiCorp's HCL parser, the conformance test's reference
	golang-go golang-github-hashicorp-hcl-v2-dev
	# test peers
	iproute2 iputils-ping curl tcpreplay tcpdump iperf3 nftables xdp-tools wrk ethtool conntrack
	bind9-dnsutils util-linux procps python3
	# /metrics checked by promtool; `make deb` (dpkg-shlibdeps); man pages
	prometheus dpkg-dev man-db
)
# The dashboard's browser test: headless Chromium driven over the DevTools
# protocol. Its test skips, saying so, when these cannot be installed.
OPTIONAL_PACKAGES=(chromium python3-websocket)

missing_packages() { # packages...
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || echo "$pkg"
	done
}

UPDATED=
install_missing() { # packages...
	local missing
	missing=$(missing_packages "$@")
	[ -z "$missing" ] && return 0
	echo "install-deps: installing:" $missing
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$UPDATED" ] || apt-get update -qq
	UPDATED=1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

mount_if_missing() { # fstype target
	mountpoint -q "$2" && return 0
	mkdir -p "$2"
	mount -t "$1" "$1" "$2"
	echo "install-deps: mounted $1 on $2"
}

install_missing "${PACKAGES[@]}"
install_missing "${OPTIONAL_PACKAGES[@]}" ||
	echo "install-deps: could not install ${OPTIONAL_PACKAGES[*]}: the browser test will skip"
mount_if_missing bpf /sys/fs/bpf
mount_if_missing tracefs /sys/kernel/tracing
