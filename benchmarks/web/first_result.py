"""Time from opening the page to the first result with the built-in example, in headless Chromium.

    PYTHONPATH=src python benchmarks/web/first_result.py [--json benchmarks/web/first_result.json] [--screenshot docs/web/example.png]

Starts ``liquidwarp serve`` on a free loopback port (the fit cache as the command line's, so a
second run finds the example photos fitted, as a server that has run before does), opens the page,
presses the Imitate tab's "Built-in example" button (warp, 128 pixels, 50 frames of the built-in
dance) and waits until the browser has loaded the result video. Needs the web and test extras and
Chromium (``apt-get install -y chromium chromium-driver``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()}-core {platform.machine()} {model}, no GPU"


def main() -> None:
    from liquidwarp.fitting.recover import cache_root
    from liquidwarp.web import drive

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--screenshot", type=Path, help="save the page with its result here (.png)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with drive.running_server(Path(folder) / "serve.log", env={"LIQUIDWARP_CACHE_DIR": str(cache_root())}) as url:
            server_s = time.perf_counter() - started
            with drive.headless_chromium() as browser:
                t0 = time.perf_counter()
                drive.open_page(browser, url)
                loaded_s = time.perf_counter() - t0
                drive.click(browser, "imitate-example")
                video = drive.played_video(browser, "imitate-video", 600)
                first_result_s = time.perf_counter() - t0
                drive.page_text_with(browser, "Done in", 30)
                if args.screenshot is not None:
                    browser.save_screenshot(str(args.screenshot))
    load = os.getloadavg()[0]
    figures = {
        "machine": machine(),
        "load_average_1min": round(load, 2),
        "server_start_s": round(server_s, 1),
        "page_load_s": round(loaded_s, 2),
        "page_load_to_first_result_s": round(first_result_s, 1),
        "result": {"duration_s": video["duration"], "width": video["width"], "height": video["height"]},
        "date": time.strftime("%Y-%m-%d"),
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
