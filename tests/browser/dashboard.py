#!/usr/bin/python3
"""The dashboard in a real browser: headless Chromium driven over the DevTools
protocol (python3-websocket), as tests/e2e/test_dashboard.sh runs it inside the
daemon's network namespace.

    dashboard.py URL TOKEN PEER_NS PEER_IP FW_IP SHOTS_DIR

Prints one line per check, "ok DESC" or "not ok DESC: WHY", for the shell to
count, and exits 0 once every step ran (failures are in those lines).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from cdp import Browser

PROGRAMS = ["ddos_filter", "ingress_filter", "egress_shaper", "monitor", "network_events",
            "tcp_trace"]
DROP_KEY = "ddos_filter|ddos_counters|drop_blocklisted"


def report(ok, desc, why=""):
    print(("ok " if ok else "not ok ") + desc + ("" if ok else ": " + why), flush=True)


def drop_rate(b):
    """The blocklisted drop rate the page shows (packets/s), or None."""
    text = b.eval("(() => { const e = document.querySelector('[data-rate=\"%s\"] .rate');"
                  " return e ? e.textContent : null; })()" % DROP_KEY)
    if not text or text.startswith("…"):
        return None
    v = text.rstrip("/s")
    mult = 1e6 if v.endswith("M") else 1e3 if v.endswith("k") else 1
    return float(v.rstrip("Mk")) * mult


def main():
    url, token, peer_ns, peer_ip, fw_ip, shots = sys.argv[1:7]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="flywall-chromium.")
    b = Browser(chromium, profile)
    try:
        b.call("Page.navigate", url=url)
        names = b.wait_for("(() => { const r = [...document.querySelectorAll('#programs tbody tr')]"
                           ".map((t) => t.dataset.name); return r.length >= 6 ? r : null; })()", 10)
        report(names is not None and sorted(names) == sorted(PROGRAMS),
               "the page lists the six programs of the spec's configuration", repr(names))
        attach = b.eval("document.querySelector('#programs tr[data-name=\"ddos_filter\"]').textContent")
        report("xdp-native" in (attach or ""), "it shows ddos_filter's attach mode", repr(attach))
        fallback = b.eval("document.querySelector('#programs tr[data-name=\"tcp_trace\"]').textContent")
        report("kprobe" in (fallback or ""), "it shows tcp_trace's fallback", repr(fallback))
        charts = b.wait_for("document.querySelectorAll('#charts .chart canvas').length", 5)
        report((charts or 0) >= 5, "a rate chart per program with counters", repr(charts))
        b.screenshot(os.path.join(shots, "dashboard.png"))

        # The token, entered once; then block the peer from the page.
        b.eval("document.querySelector('#token').value = %s;"
               "document.querySelector('#token-form').requestSubmit(); true" % json.dumps(token))
        stored = b.eval("sessionStorage.getItem('flywall-token') === %s" % json.dumps(token))
        report(stored is True, "the token is kept in sessionStorage", repr(stored))
        b.eval("document.querySelector('#block-address').value = %s;"
               "document.querySelector('#block-add').click(); true" % json.dumps(peer_ip))
        listed = b.wait_for("!!document.querySelector('#blocklist tr[data-address=\"%s\"]')" % peer_ip, 5)
        report(bool(listed), "blocking the peer from the page lists it in the blocklist",
               b.eval("document.querySelector('#block-message').textContent"))

        # A flood from the peer: the page shows a rising drop rate within 3 s.
        before = drop_rate(b) or 0.0
        flood = subprocess.Popen(["nsenter", "--net=/var/run/netns/" + peer_ns, "ping", "-n", "-q",
                                  "-f", "-w", "8", fw_ip], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        start, seen, rate = time.time(), None, None
        while time.time() - start < 6:
            rate = drop_rate(b)
            if rate is not None and rate >= 50 and rate > before:
                seen = time.time() - start
                break
            time.sleep(0.2)
        report(seen is not None and seen <= 3.0,
               "a flood shows a rising drop rate within 3 s (%.0f/s after %.1f s)"
               % (rate or 0, seen if seen is not None else -1),
               "before %.0f/s, last %r" % (before, rate))
        time.sleep(1.5)
        b.screenshot(os.path.join(shots, "dashboard-flood.png"), full=False)
        out, _ = flood.communicate(timeout=30)
        received = [l for l in out.splitlines() if "received" in l]
        report(bool(received) and " 0 received" in received[0],
               "the blocked peer's pings get no reply", out.strip())

        # Remove it from the page: its pings are answered again.
        b.eval("document.querySelector('#blocklist tr[data-address=\"%s\"] button').click(); true" % peer_ip)
        gone = b.wait_for("!document.querySelector('#blocklist tr[data-address=\"%s\"]')" % peer_ip, 5)
        report(bool(gone), "removing it from the page takes it off the blocklist",
               b.eval("document.querySelector('#block-message').textContent"))
        ping = subprocess.run(["nsenter", "--net=/var/run/netns/" + peer_ns, "ping", "-n", "-q",
                               "-c", "3", "-i", "0.2", "-W", "1", fw_ip], capture_output=True, text=True)
        report(" 3 received" in ping.stdout, "and the peer's pings are answered again", ping.stdout.strip())

        # The event stream and the map browser.
        types = b.wait_for("[...document.querySelectorAll('#event-type option')].map((o) => o.value)"
                           ".filter((v) => v).join(',')", 5)
        report(bool(types) and "ddos_drop_summary" in types,
               "the event list brings ddos_filter's drop summaries", repr(types))
        top = b.eval("(() => { const r = document.querySelector('#sources tr[data-source=\"%s\"]');"
                     " return r ? r.textContent : null; })()" % peer_ip)
        report(top is not None, "the peer is among the top sources", repr(top))
        b.eval("(() => { const s = document.querySelector('#map-select');"
               " s.value = 'ddos_filter.ddos_counters'; s.dispatchEvent(new Event('change')); })()")
        rows = b.wait_for("document.querySelectorAll('#map-entries tbody tr').length", 5)
        report((rows or 0) == 16, "the map browser shows a page of ddos_counters (16 slots)", repr(rows))
        b.eval("document.querySelector('#events-section').scrollIntoView(); true")
        b.screenshot(os.path.join(shots, "dashboard-after.png"))
        time.sleep(0.5)
        b.call("Runtime.evaluate", expression="1")   # collects pending console messages
        report(not b.errors, "no console errors", "; ".join(b.errors))
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
