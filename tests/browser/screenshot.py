#!/usr/bin/python3
"""screenshot.py URL OUT [SECONDS [SCALE]]: the dashboard at URL, after SECONDS
(default 3) of live updates: the browser's 1400x1000 window as a PNG (OUT.png)
or JPEG (OUT.jpg), scaled by SCALE (default 1)."""
import shutil
import sys
import tempfile
import time

from cdp import Browser


def main():
    url, out = sys.argv[1:3]
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 3
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    profile = tempfile.mkdtemp(prefix="flywall-chromium.")
    b = Browser(shutil.which("chromium") or shutil.which("chromium-browser"), profile)
    try:
        b.call("Page.navigate", url=url)
        time.sleep(wait)
        b.screenshot(out, full=False, scale=scale)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
