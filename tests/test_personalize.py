"""Personalisation: fine-tuning a copy of the generator on one person's photos."""

import numpy as np
import pytest
import torch

from liquidwarp.cli.main import main
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.methods.lwg import LiquidWarpingRenderer
from liquidwarp.networks.generator import GeneratorConfig
from liquidwarp.scene.views import prepare_source
from liquidwarp.training.checkpoint import load_generator, save_bundle
from liquidwarp.training.personalize import PersonalizeConfig, personalize

from samples import LAB, needs_samples, lab_photo

TINY = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True)


@pytest.fixture(scope="module")
def source(body):
    engine = SyntheticEngine(SynthConfig(subjects=1, frames=1, views=1, size=64, seed=12, texture_size=128), body)
    subject = engine.make_subject(0)
    rgb = engine.render_view(subject, 0)["rgb"][0]
    image = (rgb.permute(1, 2, 0).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    return prepare_source(body, image, subject.params.index(0), subject.cameras.index(0), (0.0, 0.0, 64.0), 64)


def reconstruction_error(generator, body, source) -> float:
    """Mean absolute error of re-rendering the source in its own pose and view (0-255)."""
    out = LiquidWarpingRenderer(body, [source], generator).render(source.params, source.camera)
    truth = (source.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    return float(np.abs(out.astype(float) - truth).mean())


def test_personalisation_fits_the_person_and_leaves_the_model_unchanged(body, source, one_thread):
    torch.manual_seed(0)
    generator = TINY.build().eval()
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    start = reconstruction_error(generator, body, source)
    tuned, seconds = personalize(generator, body, [source], PersonalizeConfig(steps=25, lr=2e-3, zoom=0.1, focus="all"), progress=False)
    end = reconstruction_error(tuned, body, source)
    assert end < 0.7 * start, (start, end)
    assert seconds > 0 and not tuned.training
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items())


def test_personalisation_learns_to_fill_what_the_flow_hides(body, source, one_thread):
    from liquidwarp.rendering.correspondence import surface_codes
    from liquidwarp.training.loop import generate
    from liquidwarp.training.personalize import personal_pair

    config = PersonalizeConfig(steps=25, lr=2e-3, zoom=0.1, hide=3, hide_radius=0.15)
    pair, hidden = personal_pair(body, surface_codes(body.rest_vertices), [source], np.random.default_rng(99), config)
    assert hidden.any() and not (hidden[:, 0] & pair.flow_valid).any()

    def hidden_error(generator) -> float:
        with torch.no_grad():
            out = generate(generator.eval(), pair).image
        return float(((out - pair.target_image).abs() * hidden).sum() / (3 * hidden.sum()))

    torch.manual_seed(0)
    generator = TINY.build().eval()
    start = hidden_error(generator)
    tuned, _ = personalize(generator, body, [source], config, progress=False)  # focus "hidden": only those pixels
    end = hidden_error(tuned)
    assert end < 0.7 * start


def test_hidden_patches_are_discs_on_the_seen_body():
    from liquidwarp.training.personalize import hide_patches

    valid = torch.zeros(1, 40, 40, dtype=torch.bool)
    valid[0, 5:35, 10:30] = True
    hidden = valid & ~hide_patches(valid, np.random.default_rng(0), count=1, radius=0.1)
    assert not (hide_patches(valid, np.random.default_rng(0), count=1, radius=0.1) & ~valid).any()  # nothing unseen becomes seen
    ys, xs = torch.nonzero(hidden[0], as_tuple=True)
    assert len(ys) > 0
    # one disc of radius <= 4 px (0.1 of 40): every hidden pixel within 8 px of every other
    span = ((ys[:, None] - ys[None]) ** 2 + (xs[:, None] - xs[None]) ** 2).max().sqrt()
    assert span <= 8
    assert torch.equal(hide_patches(valid, np.random.default_rng(0), count=0, radius=0.1), valid)


def test_jitter_moves_the_body_map_but_not_the_attention_target(body, source):
    from liquidwarp.rendering.correspondence import surface_codes
    from liquidwarp.training.personalize import jittered, personal_pair

    codes = surface_codes(body.rest_vertices)
    still = PersonalizeConfig(zoom=0.0, hide=0)
    moved = PersonalizeConfig(zoom=0.0, hide=0, jitter=0.4)  # moves the body further than G_BG's blanking margin
    plain, _ = personal_pair(body, codes, [source], np.random.default_rng(3), still)
    shaken, _ = personal_pair(body, codes, [source], np.random.default_rng(3), moved)
    # without re-framing the unmoved target is the source itself: its map is the source's
    assert torch.equal(plain.target_map, plain.source_map)
    changed = (shaken.target_body ^ plain.target_body).float().mean()
    assert changed > 0.002  # the moved body covers other pixels
    assert torch.equal(shaken.target_mask, plain.target_mask)  # the person is where they were
    # G_BG is shown no pixel of the person, wherever the moved body is
    hidden_from_bg = shaken.background_input[:, 3:] > 0.5
    assert bool(hidden_from_bg[plain.target_mask > 0.5].all()) and bool(hidden_from_bg[:, 0][shaken.target_body].all())
    assert float(shaken.background_input[:, :3].abs().masked_select(hidden_from_bg.expand(-1, 3, -1, -1)).max()) == 0.0
    params = source.params
    assert jittered(params, np.random.default_rng(0), 0.0) is params
    again = jittered(params, np.random.default_rng(0), 0.1)
    assert torch.equal(again.shape, params.shape) and torch.equal(again.root_rotation, params.root_rotation)
    assert 0.05 < float((again.joint_rotations - params.joint_rotations).std()) < 0.15


@needs_samples
def test_personalize_command_writes_a_model_that_imitate_takes(tmp_path, capsys, monkeypatch):
    from liquidwarp.io.media import probe_video

    monkeypatch.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path / "cache"))
    photo = lab_photo(tmp_path)
    start = tmp_path / "tiny.pt"
    save_bundle(start, TINY.build(), TINY, {"step": 1})
    personal = tmp_path / "me.pt"
    assert main(["personalize", "--source", str(photo), "--steps", "2", "--size", "64", "--checkpoint", str(start), "--out", str(personal)]) == 0
    _, provenance = load_generator(personal)
    assert provenance["personalized"] == {"sources": ["thrower.png"], "steps": 2, "size": 64}
    video = tmp_path / "me.mp4"
    args = ["imitate", "--source", str(photo), "--reference", str(LAB), "--max-frames", "2", "--size", "64"]
    assert main([*args, "--checkpoint", str(personal), "--out", str(video)]) == 0
    assert probe_video(video).frames == 2
    capsys.readouterr()
    assert main([*args, "--method", "warp", "--personalize", "3", "--out", str(tmp_path / "x.mp4")]) == 2
    assert "--personalize needs --method lwg" in capsys.readouterr().err
    assert main(["personalize", "--source", str(photo), "--out", str(tmp_path / "me.txt")]) == 2
    assert "ending in .pt" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "me.txt").exists()


def test_each_source_texture_is_completed_once_not_every_step(body, source, one_thread, monkeypatch):
    import liquidwarp.scene.texture as texture

    calls = []
    real = texture.completed_texture
    monkeypatch.setattr(texture, "completed_texture", lambda *args: calls.append(1) or real(*args))
    generator = GeneratorConfig(**{**TINY.__dict__, "fill_unseen": True}).build()
    personalize(generator, body, [source, source], PersonalizeConfig(steps=4), progress=False)
    assert len(calls) == 2  # one per source, for all four steps
