#!/usr/bin/python3
"""screenshot.py URL OUT.png [SECONDS]: the dashboard at URL, after SECONDS
(default 3) of live updates, as a PNG of the browser's 1400x1000 window."""
import shutil
import sys
import tempfile
import time

from cdp import Browser


def main():
    url, out = sys.argv[1:3]
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 3
    profile = tempfile.mkdtemp(prefix="flywall-chromium.")
    b = Browser(shutil.which("chromium") or shutil.which("chromium-browser"), profile)
    try:
        b.call("Page.navigate", url=url)
        time.sleep(wait)
        b.screenshot(out, full=False)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
