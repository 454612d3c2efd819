"""Imitation methods, evaluation data and `liquidwarp evaluate` on a tiny synthetic dataset."""

import json

from pathlib import Path

import numpy as np
import pytest
import torch
from samples import LAB, needs_samples

from liquidwarp.cli.main import main
from liquidwarp.data.evaluation import open_evaluation_data, person_view
from liquidwarp.data.synthetic import SynthConfig, write_dataset
from liquidwarp.geometry.crops import crop_image
from liquidwarp.metrics import psnr
from liquidwarp.scene.views import prepare_source
from liquidwarp.tasks.evaluate import EvaluationConfig, evaluate
from liquidwarp.tasks.methods import build_method

SIZE = 96


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, body):
    root = tmp_path_factory.mktemp("synth")
    # 4 frames/s: the 5 frames span more than a second of motion, so the poses differ.
    config = SynthConfig(subjects=2, frames=5, views=2, size=128, seed=11, fps=4.0, texture_size=256)
    write_dataset(config, root, progress=False, body=body)
    return root


def _source(body, data, subject=0, frame=0, view=0):
    subj = data.subjects[subject]
    crop = person_view(body, subj, view)
    return subj, crop, prepare_source(body, subj.frame(view, frame), subj.params.index(frame), subj.cameras.index(view), crop, SIZE)


def _as_tensor(frame):
    return torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255


def test_person_view_holds_the_person_in_every_frame(dataset, body):
    data = open_evaluation_data(dataset, body, progress=False)
    assert data.kind == "synthetic" and [s.name for s in data.subjects] == ["subject_0000", "subject_0001"]
    subj = data.subjects[0]
    assert subj.exact and subj.views == 2 and subj.frames == 5
    for view in range(2):
        x0, y0, side = person_view(body, subj, view)
        for t in range(5):
            rows, cols = np.nonzero(np.asarray(_mask(dataset, 0, view, t)))
            assert x0 <= cols.min() and cols.max() + 1 <= x0 + side
            assert y0 <= rows.min() and rows.max() + 1 <= y0 + side


def _mask(root, subject, view, frame):
    from PIL import Image

    return np.asarray(Image.open(root / f"subject_{subject:04d}" / f"view_{view:02d}" / f"mask_{frame:04d}.png")) > 127


def test_methods_reproduce_the_source_when_the_target_is_the_source(dataset, body):
    data = open_evaluation_data(dataset, body, progress=False)
    subj, crop, source = _source(body, data)
    inside = source.fragments.mask[0]
    # Interior body pixels only: the silhouette's edge row is feathered into the inpainted background.
    interior = torch.nn.functional.max_pool2d((~inside).float()[None, None], 5, stride=1, padding=2)[0, 0] == 0
    assert interior.sum() > 150
    original = source.image[0]
    copy = build_method("copy", body, [source]).render(source.params, source.camera)
    assert np.array_equal(copy, (original.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))
    for name in ("affine2d", "warp"):
        frame = _as_tensor(build_method(name, body, [source]).render(source.params, source.camera))[0]
        error = (frame - original).abs().amax(0)[interior]
        assert error.mean() < 0.02, name


def test_unknown_method_is_refused(dataset, body):
    data = open_evaluation_data(dataset, body, progress=False)
    _, _, source = _source(body, data)
    with pytest.raises(ValueError, match="affine2d"):
        build_method("gan", body, [source])


def test_copy_scores_are_the_source_against_each_real_frame(dataset, body):
    results = evaluate(dataset, EvaluationConfig("self-imitation", "copy", SIZE, sources_per_video=1, metrics=("psnr",)), body, progress=False)
    data = open_evaluation_data(dataset, body, progress=False)
    expected = []
    for subj in data.subjects:
        crop = person_view(body, subj, 0)
        source = _as_tensor(crop_image(subj.frame(0, 0), crop, SIZE))
        for t in range(1, 5):
            expected.append(psnr(source, _as_tensor(crop_image(subj.frame(0, t), crop, SIZE))))
    assert results["frames"] == {"sources": 2, "generated": 8, "ground_truth": 8, "real_set": 8}
    assert results["metrics"]["psnr"]["value"] == pytest.approx(float(torch.cat(expected).mean()), abs=1e-4)
    assert results["data"]["exact_bodies"] and results["data"]["kind"] == "synthetic"


def test_warp_beats_copy_on_synthetic_people(dataset, body):
    scores = {}
    for protocol in ("self-imitation", "novel-view"):
        for method in ("copy", "warp"):
            config = EvaluationConfig(protocol, method, SIZE, sources_per_video=2, metrics=("psnr", "ssim"))
            scores[protocol, method] = evaluate(dataset, config, body, progress=False)["metrics"]
    # From another camera the source photo is nothing like the truth; warping turns the person.
    assert scores["novel-view", "warp"]["psnr"]["value"] > scores["novel-view", "copy"]["psnr"]["value"] + 1.0
    assert scores["novel-view", "warp"]["ssim"]["value"] > scores["novel-view", "copy"]["ssim"]["value"] + 0.02
    # Same camera, one second of motion: the person's structure is right where copy's is not, but
    # copy keeps the exact background where warp inpaints behind the source person, and that
    # wins it whole-image PSNR on these small, strongly patterned frames (measured: 28.6 vs 25.9 dB).
    assert scores["self-imitation", "warp"]["ssim"]["value"] > scores["self-imitation", "copy"]["ssim"]["value"] + 0.01


def test_evaluate_command_writes_results_and_frames(dataset, tmp_path, capsys):
    out, frames = tmp_path / "results.json", tmp_path / "frames"
    args = ["evaluate", "--protocol", "novel-view", "--data", str(dataset), "--method", "warp", "--size", "64"]
    code = main([*args, "--out", str(out), "--metrics", "psnr,ssim", "--sources-per-video", "1", "--save-frames", str(frames)])
    assert code == 0, capsys.readouterr().err
    results = json.loads(out.read_text())
    assert results["protocol"] == "novel-view" and results["frames"]["generated"] == 2
    assert set(results["metrics"]) == {"psnr", "ssim"} and results["seconds"]["total"] > 0
    pngs = sorted(frames.rglob("*.png"))
    assert len(pngs) == 2
    from PIL import Image

    assert np.asarray(Image.open(pngs[0])).shape == (64, 3 * 64, 3)  # source | generated | truth


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--protocol", "novel-view", "--metrics", "psnr,nope"], "unknown metric"),
        (["--protocol", "self-imitation", "--size", "16"], "--size"),
        (["--protocol", "telepathy"], "invalid choice"),
        (["--protocol", "self-imitation", "--method", "warp", "--personalize", "3"], "--personalize needs --method lwg"),
    ],
)
def test_evaluate_command_refuses_bad_options(dataset, tmp_path, capsys, extra, message):
    out = tmp_path / "r.json"
    assert main(["evaluate", "--data", str(dataset), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_evaluate_command_refuses_unsuitable_data(dataset, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["evaluate", "--protocol", "self-imitation", "--data", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["evaluate", "--protocol", "self-imitation", "--data", str(empty), "--out", str(out)]) == 2
    assert "not a synthetic dataset" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
@needs_samples
def test_warp_beats_the_baselines_on_real_self_imitation(body):
    """The bar on ../shared/samples/lab_throw_cam01.mp4, all frames, 256² (about 15 min)."""
    scores = {}
    for method in ("copy", "affine2d", "warp"):
        config = EvaluationConfig("self-imitation", method, metrics=("ssim", "psnr", "vgg19_perceptual"))
        scores[method] = {k: v["value"] for k, v in evaluate(LAB, config, body, progress=False)["metrics"].items()}
    for baseline in ("copy", "affine2d"):
        assert scores["warp"]["ssim"] > scores[baseline]["ssim"], scores
        assert scores["warp"]["psnr"] > scores[baseline]["psnr"], scores
        assert scores["warp"]["vgg19_perceptual"] < scores[baseline]["vgg19_perceptual"], scores


def test_quality_bench_rows_name_their_settings():
    from liquidwarp.bench.quality import PERSONAL_STEPS, method_settings, tables

    assert method_settings("warp") == {"method": "warp"}
    assert method_settings("lwg+p60") == {"method": "lwg", "personalize": 60}
    protocol, _, extra, fixed = tables(Path("out"))["lab-personalisation"]
    assert protocol == "self-imitation" and extra == {"sources_per_video": 1} and fixed == ("lwg", f"lwg+p{PERSONAL_STEPS}")


def test_bench_quality_says_which_results_it_keeps_instead_of_measuring(tmp_path, monkeypatch, capsys):
    """A resumed bench keeps an earlier run's file: it says so, with the file's date, on stderr."""
    from liquidwarp.bench import quality

    monkeypatch.setattr(quality, "_prepare_data", lambda out, body, progress: None)
    kept = tmp_path / "lab-self-imitation__warp.json"
    kept.write_text('{"metrics": {}}\n')
    results = quality.run(tmp_path, ("warp",), only=("lab-self-imitation",), progress=False)
    assert results == {"lab-self-imitation": {"warp": {"metrics": {}}}}
    err = capsys.readouterr().err
    assert f"liquidwarp: {kept}: kept from " in err and "--no-resume" in err
