#!/usr/bin/python3
"""dashboard_tabs.py URL N SECONDS: one headless Chromium with N tabs of the
dashboard at URL, kept open (and live: no background throttling) for SECONDS.
Prints, per tab, what its status line says at the end, so the run shows the
tabs were updating."""
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
from cdp import Browser  # noqa: E402

import websocket  # noqa: E402


def main():
    url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    profile = tempfile.mkdtemp(prefix="flywall-chromium.")
    b = Browser(shutil.which("chromium"), profile,
                extra=["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                       "--disable-backgrounding-occluded-windows"])
    tabs = []
    try:
        b.call("Page.navigate", url=url)
        for _ in range(n - 1):
            b.call("Target.createTarget", url=url)
        print("open", flush=True)
        time.sleep(seconds)
        for t in json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % b.port)):
            if t.get("type") != "page":
                continue
            ws = websocket.create_connection(t["webSocketDebuggerUrl"], timeout=10)
            ws.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                                "params": {"expression": "document.querySelector('#status').textContent",
                                           "returnByValue": True}}))
            while True:
                m = json.loads(ws.recv())
                if m.get("id") == 1:
                    tabs.append(m["result"]["result"].get("value"))
                    break
            ws.close()
        for s in tabs:
            print("tab:", s)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
