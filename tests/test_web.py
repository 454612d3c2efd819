"""``liquidwarp serve``: the job rules without a browser, then the page in headless Chromium.

The browser test takes about 50 s (server start with the example photos' fits cached, one
imitation of 10 frames); the first run on a machine fits them too (a minute or two more)."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from liquidwarp.errors import InputError
from liquidwarp.web import jobs

from imports import run_and_list_imports

WEB_SIZE = 128  # the small size the page runs imitate at in the browser test
MOTION_FRAMES = 10  # the built-in dance, cut short for the browser test


def test_serve_without_gradio_says_how_to_install(monkeypatch, capsys):
    from liquidwarp.__main__ import main

    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio -> ImportError
    assert main(["serve", "--port", "7999"]) == 2
    err = capsys.readouterr().err
    assert err == "liquidwarp: error: the web page needs gradio: pip install 'liquidwarp[web]'\n"


def test_help_does_not_import_the_web_page():
    code = "from liquidwarp.__main__ import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    printed, imported = run_and_list_imports(code, ("gradio", "liquidwarp.web.app"))
    assert "serve" in printed and imported == []


def test_command_line_does_not_import_the_web_package():
    """The command line sits below the web page: running its commands and parser loads nothing of
    ``liquidwarp.web`` (the program adds ``serve``: liquidwarp/__main__.py)."""
    code = "from liquidwarp.cli.main import main\nprint(main(['serve']))"
    printed, imported = run_and_list_imports(code, ("liquidwarp.web", "liquidwarp.web.command", "liquidwarp.__main__"))
    assert printed.endswith("2") and imported == []


def test_safe_name():
    assert jobs.safe_name("../../etc/My photo (1).JPG") == "My_photo_1.JPG"
    assert jobs.safe_name("ünïcode.png") == "n_code.png"
    assert jobs.safe_name(".png") == "upload.png"
    assert jobs.safe_name("noext") == "noext"


def _video(path: Path, frames: int, fps: float) -> Path:
    from liquidwarp.io.media import VideoWriter

    with VideoWriter(path, fps) as writer:
        for t in range(frames):
            writer.write(np.full((32, 32, 3), 8 * t, np.uint8))
    return path


def test_check_upload(tmp_path, monkeypatch):
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    with pytest.raises(InputError, match=r"^notes.txt: not a photo \(use .bmp, .jpeg, .jpg, .png, .webp\)$"):
        jobs.check_upload(text, "photo")
    with pytest.raises(InputError, match=r"^notes.txt: not a video or motion file \(use .avi, .m4v, .mkv, .mov, .mp4, .npz, .webm\)$"):
        jobs.check_upload(text, "video or motion file")
    clip = _video(tmp_path / "clip.mp4", 10, 5.0)  # 2 s
    jobs.check_upload(clip, "photo or video")
    monkeypatch.setattr(jobs, "MAX_VIDEO_SECONDS", 1.5)
    with pytest.raises(InputError, match=r"^clip.mp4: 2.0 s long; the web page takes videos up to 2 s"):
        jobs.check_upload(clip, "video")
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (3 * 2**20))
    monkeypatch.setattr(jobs, "MAX_UPLOAD_MB", 2)
    with pytest.raises(InputError, match=r"^big.png: 3 MB; the web page takes files up to 2 MB$"):
        jobs.check_upload(big, "photo")


def test_job_folder_is_removed_and_errors_are_one_line(tmp_path, caplog):
    upload = tmp_path / "upload" / "me.png"
    upload.parent.mkdir()
    upload.write_text("text, not an image")
    root = tmp_path / "jobs"
    root.mkdir()
    with jobs.job(root) as j:
        staged = j.stage(upload, "photo")
        assert staged.read_text() == "text, not an image" and staged.parent.parent == j.folder
        kept = j.keep(staged, tmp_path / "results")
    assert list(root.iterdir()) == [] and kept.read_text() == "text, not an image"
    # The command line's own check of the content, in its words, without the job's folder.
    with pytest.raises(jobs.PageError) as error:
        with jobs.job(root) as j:
            staged = j.stage(upload, "photo")
            jobs.run_command(["view", "--source", str(staged), "--out", str(j.output("v.png")), "--angle", "90", "--method", "copy"])
    assert str(error.value) == "me.png: not a readable image (supported: .bmp, .jpeg, .jpg, .png, .webp)"
    assert list(root.iterdir()) == []
    with caplog.at_level(logging.ERROR, logger="liquidwarp.web"), pytest.raises(jobs.PageError) as error:
        with jobs.job(root):
            raise ZeroDivisionError("a bug")
    assert str(error.value) == jobs.GENERIC_MESSAGE and "ZeroDivisionError: a bug" in caplog.text
    assert list(root.iterdir()) == []


def test_prune_removes_old_results_only(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    os.utime(old, (0, 0))
    jobs.prune(tmp_path, age_s=60)
    assert not old.exists() and new.exists()


# ------------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(url, example files) of a running ``liquidwarp serve``; skipped where no browser can run."""
    pytest.importorskip("gradio", reason="the web extra is not installed: pip install -e '.[web]'")
    pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
    from liquidwarp.tasks.demo import write_example
    from liquidwarp.fitting.recover import cache_root
    from liquidwarp.web.drive import CHROMIUM_INSTALL, find_chromium, running_server

    if find_chromium() is None:
        pytest.skip(f"no Chromium and chromedriver on PATH; install them: {CHROMIUM_INSTALL}")
    folder = tmp_path_factory.mktemp("web")
    # The same photo as the server's example (the fit is cached by content), a shorter dance.
    example = write_example(folder / "example", frames=MOTION_FRAMES)
    with running_server(folder / "serve.log", env={"LIQUIDWARP_CACHE_DIR": str(cache_root())}) as url:
        yield url, example


def _screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    driver.save_screenshot(str(path))
    copies = os.environ.get("LIQUIDWARP_SCREENSHOTS")  # e.g. docs/web, for the README
    if copies:
        Path(copies).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(copies) / path.name)
    return path


def test_page_imitates_uploads_and_shows_errors(page, tmp_path):
    from liquidwarp.io.media import probe_video
    from liquidwarp.web import drive

    url, example = page
    with drive.headless_chromium() as browser:
        drive.open_page(browser, url)
        # A text file as the photo: the check's message on the page, nothing run.
        notes = tmp_path / "notes.txt"
        notes.write_text("not a photo")
        drive.upload(browser, "imitate-photos", [notes])
        drive.upload(browser, "imitate-reference", [example.motion])
        drive.click(browser, "imitate-run")
        drive.page_text_with(browser, "notes.txt: not a photo (use .bmp, .jpeg, .jpg, .png, .webp)", 120)
        _screenshot(browser, tmp_path, "error")

        drive.open_page(browser, url)
        drive.upload(browser, "imitate-photos", [example.photo])
        drive.upload(browser, "imitate-reference", [example.motion])
        drive.choose(browser, "imitate-method", "warp")
        drive.choose(browser, "imitate-size", str(WEB_SIZE))
        drive.click(browser, "imitate-run")
        video = drive.played_video(browser, "imitate-video", 600)
        # The dance's frames at its 25 frames/s, in the photo's own 256 x 256 framing.
        assert video["width"] == 256 and video["height"] == 256
        assert video["duration"] == pytest.approx(MOTION_FRAMES / 25.0, abs=0.05)
        assert "Done in" in drive.page_text_with(browser, f"{MOTION_FRAMES} frames, 256x256", 30)
        downloaded = tmp_path / "imitation.mp4"
        urllib.request.urlretrieve(video["src"], downloaded)
        info = probe_video(downloaded)
        assert (info.frames, info.width, info.height) == (MOTION_FRAMES, 256, 256)
        shots = [_screenshot(browser, tmp_path, "imitate")]
        for name in ("Swap", "View", "Fit"):
            drive.show_tab(browser, name)
            shots.append(_screenshot(browser, tmp_path, name.lower()))
    assert all(s.stat().st_size > 10_000 for s in shots)
