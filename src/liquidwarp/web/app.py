"""``liquidwarp serve``: every task on a local web page (Gradio), one job at a time.

A tab per task (imitate, swap, view, fit), each with a button that runs it on the built-in example
(:func:`liquidwarp.tasks.demo.write_example`). Each run is a :func:`liquidwarp.web.jobs.job`: the
uploads are checked and copied into a folder of its own, the command line's checks and task run
there, the result is moved out for the page and the folder removed. The progress bar is the
command line's (tqdm, followed by Gradio). Offline: no analytics, no share link, system fonts.

Gradio is imported only here, and only when the server starts (``pip install 'liquidwarp[web]'``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from liquidwarp.cli.outputs import UsageError
from liquidwarp.tasks.demo import ExampleFiles
from liquidwarp.web.jobs import MAX_UPLOAD_MB, MAX_VIDEO_SECONDS, PageError, job, prune, run_command

INSTALL_HINT = "the web page needs gradio: pip install 'liquidwarp[web]'"
SIZES = (64, 128, 256, 512)  # the side the person is generated in; the command line takes 64..1024
EXAMPLE_FRAMES = 50  # two seconds of the built-in dance
EXAMPLE_SIZE = 128
QUEUE_SIZE = 16
OUTPUT_IMAGE_BUTTONS = ["download", "fullscreen"]  # no "share": it posts to a hosted service  # jobs waiting at most; the page says "queue full" past that
HEADER = """# liquidwarp
Motion imitation, appearance transfer and novel views of people from photos, by 3D liquid warping.
Each tab has a **built-in example** button. Jobs run one at a time; the page shows your place in the queue.
Uploads: photos ({images}), videos ({videos}) up to {seconds:.0f} s, {mb} MB a file."""


def require_gradio():
    """The ``gradio`` module, or UsageError with the line that installs it."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return gradio


@dataclass(frozen=True)
class Folders:
    jobs: Path  # each job's own folder is made here and removed after it
    results: Path  # outputs kept for the page to show and the visitor to download (pruned hourly)
    examples: Path  # the built-in example's files


def _video_facts(path: str) -> str:
    from liquidwarp.io.media import probe_video

    info = probe_video(path)
    return f"{info.frames} frames, {info.width}x{info.height}, {info.frames / info.fps:.1f} s of video"


def _image_facts(path: str) -> str:
    from liquidwarp.io.media import read_image

    h, w = read_image(path).shape[:2]
    return f"{w}x{h} image"


def build_app(folders: Folders, example: ExampleFiles):
    """The page (a ``gradio.Blocks``), not yet queued or launched."""
    gr = require_gradio()
    from liquidwarp.io.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_video_path
    from liquidwarp.methods import METHODS

    @contextmanager
    def page_errors():
        try:
            yield
        except PageError as error:
            raise gr.Error(str(error), print_exception=False) from None

    def start(progress) -> float:
        progress(0, desc="starting")
        prune(folders.results)
        return time.perf_counter()

    def done(started: float, facts: str) -> str:
        return f"Done in {time.perf_counter() - started:.1f} s: {facts}."

    def photos_of(files, job_, what: str = "photo") -> list[Path]:
        if not files:
            raise PageError(f"add a {what} of the person")
        return [job_.stage(f, "photo") for f in (files if isinstance(files, list) else [files])]

    def run_imitate(photos, reference, method, size, side_by_side, in_place, progress=gr.Progress(track_tqdm=True)):
        started = start(progress)
        with page_errors(), job(folders.jobs) as j:
            sources = photos_of(photos, j)
            if not reference:
                raise PageError("add a reference: a video of the motion, or a motion file (.npz) from `liquidwarp fit`")
            ref = j.stage(reference, "video or motion file")
            out = j.output("imitation.mp4")
            argv = ["imitate", *[a for s in sources for a in ("--source", str(s))], "--reference", str(ref), "--out", str(out)]
            argv += ["--method", method, "--size", str(size)] + ["--side-by-side"] * bool(side_by_side) + ["--in-place"] * bool(in_place)
            run_command(argv)
            kept = str(j.keep(out, folders.results))
        return kept, kept, done(started, _video_facts(kept))

    def run_swap(reference, source, head, upper, lower, method, size, progress=gr.Progress(track_tqdm=True)):
        started = start(progress)
        with page_errors(), job(folders.jobs) as j:
            if not reference:
                raise PageError("add a reference: the photo or video of the person to dress")
            ref = j.stage(reference, "photo or video")
            argv = ["swap", "--reference", str(ref)]
            for option, photo in (("--source", source), ("--head", head), ("--upper", upper), ("--lower", lower)):
                if photo:
                    argv += [option, str(j.stage(photo, "photo"))]
            if len(argv) == 3:
                raise PageError("add a source photo, or a photo for one or more of head, upper body and lower body")
            video = is_video_path(ref)
            out = j.output("swap.mp4" if video else "swap.png")
            run_command(argv + ["--out", str(out), "--method", method, "--size", str(size)])
            kept = str(j.keep(out, folders.results))
        return (
            gr.update(value=None if video else kept, visible=not video),
            gr.update(value=kept if video else None, visible=video),
            kept,
            done(started, _video_facts(kept) if video else _image_facts(kept)),
        )

    def run_view(photos, turntable, angle, step, elevation, method, size, progress=gr.Progress(track_tqdm=True)):
        started = start(progress)
        with page_errors(), job(folders.jobs) as j:
            sources = photos_of(photos, j)
            out = j.output("views.mp4" if turntable else "view.png")
            turn = ["--angles", f"0:360:{step:g}"] if turntable else ["--angle", f"{angle:g}"]
            argv = ["view", *[a for s in sources for a in ("--source", str(s))], "--out", str(out), *turn]
            run_command(argv + ["--elevation", f"{elevation:g}", "--method", method, "--size", str(size)])
            kept = str(j.keep(out, folders.results))
        return (
            gr.update(value=None if turntable else kept, visible=not turntable),
            gr.update(value=kept if turntable else None, visible=bool(turntable)),
            kept,
            done(started, _video_facts(kept) if turntable else _image_facts(kept)),
        )

    def run_fit(footage, progress=gr.Progress(track_tqdm=True)):
        started = start(progress)
        with page_errors(), job(folders.jobs) as j:
            if not footage:
                raise PageError("add a photo or a video of the person")
            path = j.stage(footage, "photo or video")
            out, mesh = j.output("fit"), j.output("mesh.glb")
            run_command(["fit", str(path), "--out", str(out), "--export-mesh", str(mesh)])
            video = is_video_path(path)
            overlay = out / ("overlay.mp4" if video else "overlay.png")
            kept = [str(j.keep(p, folders.results)) for p in (overlay, out / "motion.npz", mesh)]
        facts = _video_facts(kept[0]) if video else _image_facts(kept[0])
        return (
            gr.update(value=None if video else kept[0], visible=not video),
            gr.update(value=kept[0] if video else None, visible=video),
            kept[2],
            kept,
            done(started, f"overlay {facts}; the body as motion.npz (for imitate) and a textured mesh.glb"),
        )

    methods = list(METHODS)
    header = HEADER.format(images=", ".join(sorted(IMAGE_EXTENSIONS)), videos=", ".join(sorted(VIDEO_EXTENSIONS)), seconds=MAX_VIDEO_SECONDS, mb=MAX_UPLOAD_MB)
    with gr.Blocks(title="liquidwarp", analytics_enabled=False, delete_cache=(600, 3600)) as app:
        gr.Markdown(header)
        with gr.Tab("Imitate", id="imitate"):
            with gr.Row():
                with gr.Column():
                    im_photos = gr.File(label="Photo(s) of the person (several: e.g. front and back)", file_count="multiple", type="filepath", height=120, elem_id="imitate-photos")
                    im_reference = gr.File(label="Reference: a video of the motion, or a motion file (.npz)", type="filepath", height=120, elem_id="imitate-reference")
                    im_method, im_size = _method_and_size(gr, methods, "imitate")
                    with gr.Row():
                        im_side = gr.Checkbox(label="Source, reference and result side by side")
                        im_in_place = gr.Checkbox(label="Stay in place")
                    im_run, im_example = _run_buttons(gr, "Imitate", "imitate")
                with gr.Column():
                    im_video = gr.Video(label="Result", interactive=False, buttons=["download"], elem_id="imitate-video")
                    im_file = gr.File(label="Download", interactive=False, elem_id="imitate-file")
                    im_status = gr.Markdown(elem_id="imitate-status")
            im_inputs = [im_photos, im_reference, im_method, im_size, im_side, im_in_place]
            im_run.click(run_imitate, im_inputs, [im_video, im_file, im_status])
            im_example.click(
                lambda: ([str(example.photo)], str(example.motion), "warp", EXAMPLE_SIZE, False, True), None, im_inputs, queue=False
            ).then(run_imitate, im_inputs, [im_video, im_file, im_status])
        with gr.Tab("Swap", id="swap"):
            with gr.Row():
                with gr.Column():
                    sw_reference = gr.File(label="Reference: photo or video of the person to dress", type="filepath", elem_id="swap-reference")
                    sw_source = gr.File(label="Source: whose appearance dresses every part not given below", type="filepath")
                    with gr.Row():
                        sw_head = gr.File(label="Head from", type="filepath")
                        sw_upper = gr.File(label="Upper body from", type="filepath")
                        sw_lower = gr.File(label="Lower body from", type="filepath")
                    sw_method, sw_size = _method_and_size(gr, ["lwg", "warp"], "swap")
                    sw_run, sw_example = _run_buttons(gr, "Swap", "swap")
                with gr.Column():
                    sw_outputs = _image_or_video_result(gr, "swap")
            sw_inputs = [sw_reference, sw_source, sw_head, sw_upper, sw_lower, sw_method, sw_size]
            sw_run.click(run_swap, sw_inputs, sw_outputs)
            sw_example.click(
                lambda: (str(example.photo), None, None, str(example.other), None, "warp", EXAMPLE_SIZE), None, sw_inputs, queue=False
            ).then(run_swap, sw_inputs, sw_outputs)
        with gr.Tab("View", id="view"):
            with gr.Row():
                with gr.Column():
                    vw_photos = gr.File(label="Photo(s) of the person (several: e.g. front and back)", file_count="multiple", type="filepath")
                    vw_turntable = gr.Checkbox(label="Turntable: a video all the way round", value=False)
                    vw_angle = gr.Slider(-180, 180, value=90, step=5, label="Angle (degrees, turned about the photo's vertical)")
                    vw_step = gr.Slider(5, 90, value=30, step=5, label="Turntable step (degrees)")
                    vw_elevation = gr.Slider(-60, 60, value=0, step=5, label="Elevation (degrees; positive: from higher up)")
                    vw_method, vw_size = _method_and_size(gr, methods, "view")
                    vw_run, vw_example = _run_buttons(gr, "View", "view")
                with gr.Column():
                    vw_outputs = _image_or_video_result(gr, "view")
            vw_inputs = [vw_photos, vw_turntable, vw_angle, vw_step, vw_elevation, vw_method, vw_size]
            vw_run.click(run_view, vw_inputs, vw_outputs)
            vw_example.click(
                lambda: ([str(example.photo)], False, 90, 30, 0, "warp", EXAMPLE_SIZE), None, vw_inputs, queue=False
            ).then(run_view, vw_inputs, vw_outputs)
        with gr.Tab("Fit", id="fit"):
            with gr.Row():
                with gr.Column():
                    ft_footage = gr.File(label="Photo or video of the person", type="filepath", elem_id="fit-footage")
                    ft_run, ft_example = _run_buttons(gr, "Fit", "fit")
                with gr.Column():
                    ft_image = gr.Image(label="Fitted body over the photo", interactive=False, type="filepath", buttons=OUTPUT_IMAGE_BUTTONS)
                    ft_video = gr.Video(label="Fitted body over the video", interactive=False, buttons=["download"], visible=False)
                    ft_mesh = gr.Model3D(label="Textured mesh", interactive=False)
                    ft_files = gr.File(label="Downloads", file_count="multiple", interactive=False)
                    ft_status = gr.Markdown(elem_id="fit-status")
            ft_outputs = [ft_image, ft_video, ft_mesh, ft_files, ft_status]
            ft_run.click(run_fit, [ft_footage], ft_outputs)
            ft_example.click(lambda: str(example.photo), None, [ft_footage], queue=False).then(run_fit, [ft_footage], ft_outputs)
    app.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE)
    return app


def _method_and_size(gr, methods: list[str], tab: str):
    """A row: the method and the generation size to choose from (element ids ``TAB-method``, ``TAB-size``)."""
    with gr.Row():
        method = gr.Radio(methods, value="lwg", label="Method", elem_id=f"{tab}-method")
        size = gr.Radio(list(SIZES), value=256, label="Size (pixels)", elem_id=f"{tab}-size")
    return method, size


def _run_buttons(gr, label: str, tab: str):
    """A row: the tab's run button and its built-in example button (ids ``TAB-run``, ``TAB-example``)."""
    with gr.Row():
        run = gr.Button(label, variant="primary", elem_id=f"{tab}-run")
        example = gr.Button("Built-in example", elem_id=f"{tab}-example")
    return run, example


def _image_or_video_result(gr, tab: str) -> list:
    """[image, video, download, status]: the result as a still or a video (one of them shown), its
    download and the status line (id ``TAB-status``), in the order the run functions return them."""
    return [
        gr.Image(label="Result", interactive=False, type="filepath", buttons=OUTPUT_IMAGE_BUTTONS),
        gr.Video(label="Result", interactive=False, buttons=["download"], visible=False),
        gr.File(label="Download", interactive=False),
        gr.Markdown(elem_id=f"{tab}-status"),
    ]


def _theme(gr):
    """Gradio's default look in the system's fonts (no font fetched from anywhere)."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def prepare_example(folder: Path) -> ExampleFiles:
    """The built-in example's files, its photos already fitted (the fit cache), so that the first
    visitor to press an example button does not wait for the fit."""
    from liquidwarp.body.model import BodyModel
    from liquidwarp.tasks.demo import write_example
    from liquidwarp.fitting.recover import recover

    body = BodyModel()
    example = write_example(folder, frames=EXAMPLE_FRAMES, size=256, body=body)
    for photo in (example.photo, example.other):
        recover(photo, body, progress=False)
    return example


def serve(host: str = "127.0.0.1", port: int = 7860) -> None:
    """Run the page at ``http://host:port`` until interrupted. Uploads, jobs, results and (unless
    ``LIQUIDWARP_CACHE_DIR`` is set) the fit cache live in one temporary folder, removed at exit."""
    gr = require_gradio()
    root = Path(tempfile.mkdtemp(prefix="liquidwarp-web-"))
    os.environ["GRADIO_TEMP_DIR"] = str(root / "uploads")  # read by gradio on import
    os.environ.setdefault("LIQUIDWARP_CACHE_DIR", str(root / "cache"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        folders = Folders(root / "jobs", root / "results", root / "examples")
        for folder in (folders.jobs, folders.results):
            folder.mkdir()
        print("liquidwarp: preparing the built-in example (the first start builds the body model: about a minute)", file=sys.stderr, flush=True)
        example = prepare_example(folders.examples)
        app = build_app(folders, example)
        try:
            app.launch(
                server_name=host, server_port=port, share=False, inbrowser=False, show_error=False, quiet=True, prevent_thread_lock=True,
                max_file_size=f"{MAX_UPLOAD_MB}mb", allowed_paths=[str(folders.examples)], enable_monitoring=False,
                ssr_mode=False, pwa=False, mcp_server=False, footer_links=[], theme=_theme(gr),
            )  # fmt: skip
        except OSError as error:
            raise UsageError(f"cannot serve on {host}:{port}: {error}") from None
        print(f"liquidwarp: serving on http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
        app.block_thread()
    finally:
        shutil.rmtree(root, ignore_errors=True)
