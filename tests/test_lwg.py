"""The ``lwg`` method, ``liquidwarp export`` and ``liquidwarp demo``."""

import imageio.v3 as iio
import numpy as np
import pytest
import torch

from liquidwarp.cli.main import main
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.errors import InputError
from liquidwarp.methods.lwg import LiquidWarpingRenderer
from liquidwarp.models import DEFAULT_GENERATOR
from liquidwarp.networks.generator import GeneratorConfig
from liquidwarp.scene.views import prepare_source
from liquidwarp.tasks.methods import build_method
from liquidwarp.training.checkpoint import load_generator, save_bundle

TINY = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True)


@pytest.fixture(scope="module")
def scene(body):
    """A synthetic person (exact body) at 64 x 64: the source frame 0 and a target frame 3."""
    engine = SyntheticEngine(SynthConfig(subjects=1, frames=4, views=1, size=64, seed=9, fps=5.0, texture_size=128), body)
    subject = engine.make_subject(0)
    rgb = engine.render_view(subject, 0)["rgb"]
    frames = (rgb.permute(0, 2, 3, 1).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    camera = subject.cameras.index(0)
    source = prepare_source(body, frames[0], subject.params.index(0), camera, (0.0, 0.0, 64.0), 64)
    return source, subject.params.index(3), camera


def identity_generator() -> torch.nn.Module:
    """A residual generator whose attention is 1 everywhere: its person is the warped source."""
    generator = TINY.build().eval()
    head = generator.transfer_stream.head
    with torch.no_grad():
        head.weight[3:].zero_()
        head.bias[3:].fill_(30.0)
    return generator


def test_lwg_starts_from_the_warp_method_where_the_source_sees_the_body(scene, body):
    source, target, camera = scene
    lwg = LiquidWarpingRenderer(body, [source], identity_generator()).render(target, camera)
    warp = build_method("warp", body, [source]).render(target, camera)
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.warping.flow import transfer_flow

    with torch.no_grad():
        frags = rasterize(camera.project(body(target).vertices), body.faces, (64, 64))
    seen = transfer_flow(body.faces, source.vertices, source.camera, source.fragments, frags).valid[0]
    # Inner body pixels: the warp method feathers the silhouette's edge row.
    inner = seen & (torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 3, 1, 1)[0, 0] == 1)
    assert inner.sum() > 100
    difference = np.abs(lwg.astype(int) - warp.astype(int))[inner.numpy()]
    assert difference.max() <= 2  # rounding and the 0.995 clip of the residual colour


def test_the_lwg_method_in_fp32_renders_as_on_a_machine_without_fast_bf16(scene, body, monkeypatch):
    import liquidwarp.methods.lwg as lwg_module
    from liquidwarp.methods.lwg import LwgOptions

    source, target, camera = scene
    generator = identity_generator()
    with torch.no_grad():
        generator.transfer_stream.head.weight[:3].normal_(0, 0.3)  # colour corrections, so precision shows
    fp32 = LiquidWarpingRenderer(body, [source], generator, options=LwgOptions(bf16=False))
    assert fp32.bf16 is False
    frame = fp32.render(target, camera)
    monkeypatch.setattr(lwg_module, "bf16_helps", lambda device: False)
    assert np.array_equal(frame, LiquidWarpingRenderer(body, [source], generator).render(target, camera))


def test_lwg_needs_a_readable_generator(scene, body, tmp_path):
    source, _, _ = scene
    with pytest.raises(InputError, match="no such file"):
        build_method("lwg", body, [source], checkpoint=tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a liquidwarp generator"):
        build_method("lwg", body, [source], checkpoint=tmp_path / "junk.pt")


def test_the_shipped_model_is_installed_small_and_loads():
    assert DEFAULT_GENERATOR.is_file()
    assert DEFAULT_GENERATOR.stat().st_size < 50 * 2**20
    generator, provenance = load_generator(DEFAULT_GENERATOR)
    assert provenance["step"] > 0 and provenance["config"]["generator"]["residual"] is True
    assert all(p.dtype == torch.float32 for p in generator.parameters())


def test_export_then_demo_with_that_bundle(tmp_path, capsys):
    from liquidwarp.training.config import config_from_dict
    from liquidwarp.training.checkpoint import save_checkpoint
    from liquidwarp.training.loop import build_models

    config = config_from_dict({"generator": {"base_channels": 8, "downsamplings": 2, "residual_blocks": 1, "max_channels": 16}})
    save_checkpoint(tmp_path / "checkpoint.pt", build_models(config, torch.device("cpu")), config, step=7)
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "g.pt")]) == 0
    generator, provenance = load_generator(tmp_path / "g.pt")
    assert provenance["step"] == 7 and provenance["config"]["generator"]["base_channels"] == 8
    assert main(["demo", "--out", str(tmp_path / "demo"), "--frames", "3", "--size", "64", "--checkpoint", str(tmp_path / "g.pt")]) == 0
    video = iio.imread(tmp_path / "demo" / "demo.mp4")
    assert video.shape == (3, 64, 192, 3)  # source | target body | result
    assert (tmp_path / "demo" / "source.png").is_file()
    assert main(["export", str(tmp_path / "nowhere"), "--out", str(tmp_path / "h.pt")]) == 2
    assert "no such file" in capsys.readouterr().err
    save_bundle(tmp_path / "b.pt", generator, TINY, {})
    assert main(["export", str(tmp_path / "b.pt"), "--out", str(tmp_path / "i.pt")]) == 2  # a bundle is not a training checkpoint
