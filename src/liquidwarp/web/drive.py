"""The page driven from a real browser: ``liquidwarp serve`` started on a free loopback port, and
headless Chromium (the system's ``chromium`` and ``chromedriver``, through Selenium) pointed at it.

Used by the browser tests and by ``benchmarks/web/first_result.py``; needs the test extra
(``selenium``) and Debian's ``chromium chromium-driver`` (:data:`CHROMIUM_INSTALL`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_INSTALL = "apt-get install -y chromium chromium-driver"
SERVER_START_S = 900.0  # the first start ever builds the body model and fits the example photos


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) executables on PATH, or None."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def running_server(log: Path, env: dict[str, str] | None = None, timeout_s: float = SERVER_START_S) -> Iterator[str]:
    """``liquidwarp serve`` in a child process (this interpreter, this package) on a free port,
    its output in ``log``; yields its URL once the page answers, stops it afterwards."""
    port = free_port()
    package_root = str(Path(__file__).resolve().parents[2])
    child_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])), **(env or {})}
    url = f"http://127.0.0.1:{port}/"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "liquidwarp", "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=child_env)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"liquidwarp serve exited with status {process.returncode}:\n{Path(log).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"liquidwarp serve did not answer in {timeout_s:.0f} s:\n{Path(log).read_text()[-3000:]}")
            time.sleep(1.0)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def headless_chromium(width: int = 1400, height: int = 1000):
    """A Selenium driver for headless Chromium (RuntimeError with the install line when absent)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError(f"no Chromium and chromedriver on PATH; install them: {CHROMIUM_INSTALL}")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}", "--mute-audio"):
        options.add_argument(argument)
    options.binary_location = found[0]
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(condition, timeout_s: float, what: str, poll_s: float = 0.5):
    """``condition()``'s first truthy value, polled; TimeoutError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not seen in {timeout_s:.0f} s")
        time.sleep(poll_s)


def open_page(driver, url: str, timeout_s: float = 60.0) -> None:
    """Load the page and wait until its tabs are there."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "button[role=tab]"), timeout_s, "the page's tabs")


def show_tab(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    next(b for b in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]") if b.text.strip() == name).click()
    time.sleep(0.5)


def upload(driver, elem_id: str, paths: list[Path], timeout_s: float = 60.0) -> None:
    """Put files into the file box ``elem_id`` and wait until the page lists them."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, f"#{elem_id} input[type=file]")
    field.send_keys("\n".join(str(Path(p).resolve()) for p in paths))
    box = driver.find_element(By.ID, elem_id)
    wait_until(lambda: all(Path(p).stem in box.text for p in paths), timeout_s, f"{elem_id} listing the upload")


def choose(driver, elem_id: str, value: str) -> None:
    """Pick ``value`` in the radio group ``elem_id``."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f"#{elem_id} [data-testid='{value}-radio-label']").click()


def click(driver, elem_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, elem_id).click()


def played_video(driver, elem_id: str, timeout_s: float) -> dict:
    """Wait until the video in ``elem_id`` has loaded; its ``duration`` (s), ``width``, ``height``
    (the frame size the browser decoded) and ``src``. RuntimeError if an error shows instead."""
    script = f"""const e = document.querySelector('[data-testid=toast-body].error');
        if (e) return {{error: e.innerText}};
        const v = document.querySelector('#{elem_id} video');
        if (!v || !v.src || v.readyState < 1) return null;
        return {{duration: v.duration, width: v.videoWidth, height: v.videoHeight, src: v.src}};"""
    found = wait_until(lambda: driver.execute_script(script), timeout_s, f"a playable video in #{elem_id}", poll_s=1.0)
    if "error" in found:
        raise RuntimeError(f"the page shows an error instead of a video: {found['error']!r}")
    return found


def page_text_with(driver, text: str, timeout_s: float) -> str:
    """Wait until ``text`` is shown on the page; the page's text then."""
    from selenium.webdriver.common.by import By

    def shown() -> str | None:
        body = driver.find_element(By.TAG_NAME, "body").text
        return body if text in body else None

    return wait_until(shown, timeout_s, repr(text))
