#!/usr/bin/env bash
# Packaging as a sysadmin meets it: `make install` into a DESTDIR puts every
# file where it belongs, and `make deb` builds a package that dpkg installs,
# that runs (`flywall --version`, `flywall ebpf features`), and that dpkg
# removes leaving no file behind. The package is installed on this machine
# for real (CI starts from a fresh one), so the test refuses to touch a
# flywall that is already installed there.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
T_NUM=0
TMP=$(mktemp -d /tmp/flywall-pkg.XXXXXX)
INSTALLED=
ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
not_ok() { T_NUM=$((T_NUM + 1)); echo "not ok $T_NUM - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'; return 0; }
skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM # SKIP $1: $2"; }
check() { local d=$1 out; shift; if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi; }
finish() {
	[ -n "$INSTALLED" ] && dpkg_locked -r flywall >/dev/null 2>&1
	rm -rf "$TMP"
	echo "1..$T_NUM"
}
trap finish EXIT
# dpkg, waiting up to 120 s for another dpkg on the machine to finish.
dpkg_locked() {
	local i out
	for ((i = 0; i < 120; i++)); do
		out=$(dpkg "$@" 2>&1) && { printf '%s\n' "$out"; return 0; }
		[[ "$out" == *"lock"* ]] || { printf '%s\n' "$out" >&2; return 1; }
		sleep 1
	done
	printf '%s\n' "$out" >&2
	return 1
}

# ---- make install ------------------------------------------------------------
dest=$TMP/dest
check "make install DESTDIR PREFIX=/usr" make -s -C "$ROOT" BUILD="$BUILD" install DESTDIR="$dest" PREFIX=/usr
for f in usr/sbin/flywall etc/flywall/ebpf/ddos_filter.o etc/flywall/ebpf/tcp_trace.o \
	usr/lib/systemd/system/flywall.service usr/share/man/man5/flywall.hcl.5 \
	usr/share/doc/flywall/examples/flywall.hcl usr/share/flywall/grafana-dashboard.json \
	usr/include/flywall/ddos.h usr/include/flywall/bpf/counter_names.h \
	usr/share/man/man8/flywall.8 usr/share/bash-completion/completions/flywall; do
	check "installs /$f" test -s "$dest/$f"
done
check "the unit starts the installed binary" grep -q '^ExecStart=/usr/sbin/flywall daemon' \
	"$dest/usr/lib/systemd/system/flywall.service"
check "flywall.hcl(5) renders without warnings" \
	bash -c "[ -z \"\$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$dest/usr/share/man/man5/flywall.hcl.5' 2>&1 >/dev/null)\" ]"
check "the installed configuration example passes config check" \
	"$dest/usr/sbin/flywall" config check "$dest/usr/share/doc/flywall/examples/flywall.hcl"

# ---- make deb, dpkg -i, dpkg -r ---------------------------------------------------
deb=$(make -s -C "$ROOT" BUILD="$BUILD" deb 2>"$TMP/deb.err" | tail -1)
if [ -f "$deb" ]; then ok "make deb builds $(basename "$deb")"; else
	not_ok "make deb builds a package" "$(cat "$TMP/deb.err")"
	exit 0
fi
info=$(dpkg-deb --info "$deb")
case "$info" in *"Depends: libbpf1"*) ok "its Depends come from the binary's libraries" ;;
	*) not_ok "its Depends come from the binary's libraries" "$info" ;; esac
if dpkg-query -W -f='${Status}' flywall 2>/dev/null | grep -q installed || [ -e /usr/sbin/flywall ]; then
	skip "dpkg -i / dpkg -r" "flywall is already installed on this machine; the test leaves it alone"
	exit 0
fi
before=$TMP/before.txt
find /etc /usr -xdev 2>/dev/null | sort >"$before"
if out=$(dpkg_locked -i "$deb" 2>&1); then INSTALLED=1; ok "dpkg -i installs it"; else
	not_ok "dpkg -i installs it" "$out"
	exit 0
fi
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi; }
check_eq "flywall --version" "flywall $(make -s -C "$ROOT" --eval 'v:;@echo $(VERSION)' v)" \
	"$(/usr/sbin/flywall --version 2>&1)"
out=$(/usr/sbin/flywall ebpf features 2>&1)
rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *xdp* ]]; then ok "the installed flywall ebpf features runs"; else
	not_ok "the installed flywall ebpf features runs" "exit $rc: $out"; fi
check "the man page is found by man" man -w flywall.hcl
check "dpkg -r removes it" dpkg_locked -r flywall
INSTALLED=
left=$(comm -13 "$before" <(find /etc /usr -xdev 2>/dev/null | sort) | grep -i flywall)
check_eq "no file or directory of it is left under /etc and /usr" "" "$left"
check_eq "and dpkg forgot it" "" "$(dpkg-query -W -f='${Status}' flywall 2>/dev/null | grep ' installed')"
