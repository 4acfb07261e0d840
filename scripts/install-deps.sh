#!/usr/bin/env bash
# Install what building and testing Flywall needs, and mount the kernel
# filesystems it uses. Idempotent: installs only missing packages, runs
# `apt-get update` at most once, mounts only what is not mounted yet.
set -euo pipefail

PACKAGES=(
	# build
	make gcc clang llvm pkg-config
	libbpf-dev libelf-dev zlib1g-dev bpftool
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libpcap-dev
	libcmocka-dev libcap-dev libunistring-dev
	# HashiCorp's HCL parser, the conformance test's reference
	golang-go golang-github-hashicorp-hcl-v2-dev
	# test peers
	iproute2 iputils-ping curl tcpreplay tcpdump iperf3 nftables xdp-tools wrk
	bind9-dnsutils util-linux procps python3
)

missing_packages() {
	local pkg
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || echo "$pkg"
	done
}

install_missing() {
	local missing
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	echo "install-deps: installing:" $missing
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

mount_if_missing() { # fstype target
	mountpoint -q "$2" && return 0
	mkdir -p "$2"
	mount -t "$1" "$1" "$2"
	echo "install-deps: mounted $1 on $2"
}

install_missing
mount_if_missing bpf /sys/fs/bpf
mount_if_missing tracefs /sys/kernel/tracing
