"""The one generator loss (losses/generator.py) computes, bit for bit, what the GAN training step
and personalisation each computed with their own copy of the recipe before it existed; the old
recipes are written out here term by term."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from liquidwarp.data.pairs import make_pair
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.losses import terms as t
from liquidwarp.losses.generator import GeneratorLoss, GeneratorTruth
from liquidwarp.networks.discriminator import PatchDiscriminator
from liquidwarp.networks.generator import GeneratorConfig
from liquidwarp.training.loop import generate
from liquidwarp.training.personalize import PERSONALIZE_WEIGHTS, PersonalizeConfig, hide_patches

TINY = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True)
WEIGHTS = t.LossWeights(adversarial=0.5, reconstruction=3.0, perceptual=7.0, face=2.0, mask=1.5, mask_total_variation=0.25, pixel=4.0)


@pytest.fixture(scope="module")
def pair(body):
    """A pair of two frames of one synthetic person (one view), and a mask of hidden patches."""
    from liquidwarp.rendering.correspondence import surface_codes

    engine = SyntheticEngine(SynthConfig(subjects=1, frames=2, views=1, size=64, seed=12, texture_size=128), body)
    subject = engine.make_subject(0)
    rgb = engine.render_view(subject, 0)["rgb"]
    frames = (rgb.permute(0, 2, 3, 1).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    camera = subject.cameras.index(0)
    batch = make_pair(body, surface_codes(body.rest_vertices), frames[0], subject.params.index(0), camera, frames[1], subject.params.index(1), camera)
    valid = hide_patches(batch.flow_valid, np.random.default_rng(5), count=3, radius=0.2)
    hidden = (batch.flow_valid & ~valid)[:, None]
    assert hidden.any() and not hidden.all()
    return replace(batch, flow_valid=valid), hidden


@pytest.fixture(scope="module")
def outputs(pair):
    batch, _ = pair
    torch.manual_seed(0)
    generator = TINY.build()
    discriminator = PatchDiscriminator(base_channels=8, n_layers=2)
    out = generate(generator, batch)
    return out, discriminator(out.image, batch.target_map)


@pytest.fixture(scope="module")
def perceptual():
    return t.PerceptualLoss()


def assert_bitwise_equal(new: dict, old: dict) -> None:
    assert list(new) == list(old)
    for name in old:
        assert torch.equal(new[name], old[name]), (name, new[name], old[name])


def test_the_training_step_terms_are_those_of_its_old_recipe(pair, outputs, perceptual):
    batch, _ = pair
    out, fake_logits = outputs
    face = t.FaceLoss(perceptual)
    image = out.image.float()
    old = t.combine_losses(
        {
            "adversarial": t.lsgan_generator_loss(fake_logits.float()),
            "reconstruction": t.reconstruction_loss(out.source_reconstruction[:, 0].float(), batch.source_image),
            "perceptual": perceptual(image, batch.target_image),
            "face": face(image, batch.target_image, batch.head_box),
            "mask": t.attention_mask_loss(out.attention.float(), batch.target_mask[:, 0]),
            "mask_total_variation": t.total_variation(out.attention.float()),
            "pixel": (image - batch.target_image).abs().mean(),
        },
        WEIGHTS,
    )
    new = GeneratorLoss(WEIGHTS, perceptual)(out, GeneratorTruth.of(batch), fake_logits)
    assert_bitwise_equal(new, old)
    assert all(float(v.detach()) > 0 for v in new.values())  # every term is there to compare


@pytest.mark.parametrize("focus", ["hidden", "all"])
def test_the_personalisation_terms_are_those_of_its_old_recipe(pair, outputs, perceptual, focus):
    batch, hidden = pair
    out, _ = outputs
    face = t.FaceLoss(perceptual)
    image, attention = out.image.float(), out.attention.float()
    if focus == "hidden":
        image = torch.where(hidden, image, batch.target_image)
    old = t.combine_losses(
        {
            "reconstruction": t.reconstruction_loss(out.source_reconstruction[:, 0].float(), batch.source_image),
            "perceptual": perceptual(image, batch.target_image),
            "face": face(image, batch.target_image, batch.head_box),
            "mask": t.attention_mask_loss(attention, batch.target_mask[:, 0]),
            "mask_total_variation": t.total_variation(attention),
            "pixel": (image - batch.target_image).abs().mean() if focus == "all" else (image - batch.target_image).abs().sum() / (3 * hidden.sum()).clamp(min=1),
        },
        PERSONALIZE_WEIGHTS,
    )
    loss = GeneratorLoss(PersonalizeConfig().weights, perceptual)
    new = loss(out, GeneratorTruth.of(batch), focus=hidden if focus == "hidden" else None)
    assert_bitwise_equal(new, old)
    assert float(new["pixel"].detach()) > 0


def test_no_logits_means_no_adversarial_term_whatever_its_weight(pair, outputs, perceptual):
    batch, hidden = pair
    out, fake_logits = outputs
    loss = GeneratorLoss(WEIGHTS, perceptual)
    with_logits = loss(out, GeneratorTruth.of(batch), fake_logits)
    without = loss(out, GeneratorTruth.of(batch))
    assert "adversarial" not in without
    assert torch.equal(without["total"], GeneratorLoss(replace(WEIGHTS, adversarial=0.0), perceptual)(out, GeneratorTruth.of(batch), fake_logits)["total"])
    expected = with_logits["total"] - WEIGHTS.adversarial * with_logits["adversarial"]
    torch.testing.assert_close(without["total"], expected)
    # focus: outside the hidden patches the output does not count; the pixel term is the mean
    # absolute error over the hidden pixels alone
    focused = loss(out, GeneratorTruth.of(batch), focus=hidden)
    error = (out.image.float() - batch.target_image).abs()
    torch.testing.assert_close(focused["pixel"], error.masked_select(hidden.expand_as(error)).mean())
    assert torch.equal(focused["mask"], without["mask"]) and torch.equal(focused["reconstruction"], without["reconstruction"])


def test_the_unseen_term_is_the_error_on_the_body_the_source_does_not_see(pair, outputs, perceptual):
    """Known answer: an output 0.3 off the target on the unseen body and 0.1 off elsewhere scores
    0.3 there (the mean over those pixels alone), whatever share of the frame they are; the term is
    left out at weight 0, so the training step's terms are those of the paper's recipe."""
    batch, hidden = pair
    out, _ = outputs
    truth = GeneratorTruth.of(batch)
    expected_unseen = (batch.target_body & ~batch.flow_valid)[:, None] & (batch.target_mask > 0.5)
    assert torch.equal(truth.unseen, expected_unseen)
    assert (truth.unseen & hidden).any() and truth.unseen.float().mean() < 0.2
    image = batch.target_image + torch.where(truth.unseen, 0.3, 0.1)
    named = GeneratorLoss(replace(WEIGHTS, unseen=2.0), perceptual)(replace(out, image=image), truth)
    torch.testing.assert_close(named["unseen"], torch.tensor(0.3))
    share = truth.unseen.float().mean()
    torch.testing.assert_close(named["pixel"], 0.3 * share + 0.1 * (1 - share))
    without = GeneratorLoss(WEIGHTS, perceptual)(replace(out, image=image), truth)
    assert "unseen" not in without
    torch.testing.assert_close(named["total"] - without["total"], 2.0 * named["unseen"])
    with pytest.raises(ValueError, match="unseen mask"):
        GeneratorLoss(replace(WEIGHTS, unseen=2.0), perceptual)(out, truth._replace(unseen=None))
