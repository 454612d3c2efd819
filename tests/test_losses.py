import pytest
import torch

from liquidwarp.losses import (
    PERCEPTUAL_LAYER_WEIGHTS,
    VGG19_ACTIVATION_SCALE,
    FaceLoss,
    LossWeights,
    PerceptualLoss,
    attention_mask_loss,
    combine_losses,
    crop_boxes,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    reconstruction_loss,
    total_variation,
)


pytestmark = pytest.mark.usefixtures("one_thread")


class ScaledCopies(torch.nn.Module):
    """A stand-in feature network: layer k (1-based) returns k times the [0, 1] image."""

    def forward(self, images):
        assert images.min() >= 0 and images.max() <= 1  # the loss converted from [-1, 1]
        return tuple(k * images for k in range(1, 6))


@pytest.fixture(scope="module")
def vgg_loss():
    return PerceptualLoss()


def test_lsgan_terms_for_constant_outputs():
    half = torch.full((2, 1, 4, 4), 0.5)
    assert lsgan_generator_loss(half).item() == 0.25
    assert lsgan_generator_loss(torch.ones(3, 1, 2, 2)).item() == 0.0
    assert lsgan_discriminator_loss(torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)).item() == 0.0
    assert lsgan_discriminator_loss(torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)).item() == 1.0
    assert lsgan_discriminator_loss(half, half).item() == 0.25


def test_reconstruction_is_l1():
    assert reconstruction_loss(torch.full((1, 3, 4, 4), 0.5), torch.zeros(1, 3, 4, 4)).item() == 0.5


def test_perceptual_layer_weights_and_range_conversion():
    loss = PerceptualLoss(ScaledCopies())
    x, y = torch.full((2, 3, 8, 8), 0.5), torch.full((2, 3, 8, 8), -0.5)  # (x + 1) / 2 differ by 0.5
    expected = sum(w * k * 0.5 for k, w in zip(range(1, 6), PERCEPTUAL_LAYER_WEIGHTS))
    assert loss(x, y).item() == pytest.approx(expected)
    assert PERCEPTUAL_LAYER_WEIGHTS == (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
    assert PerceptualLoss(ScaledCopies(), activation_scale=0.5)(x, y).item() == pytest.approx(expected / 2)


def test_vgg_perceptual_is_zero_for_identical_images(vgg_loss):
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    assert vgg_loss(x, x.clone()).item() < 1e-6
    other = vgg_loss.per_sample(x, x.flip(-1))
    assert other.shape == (2,) and (other > 0.1).all()
    assert vgg_loss.activation_scale == VGG19_ACTIVATION_SCALE


def test_vgg_perceptual_gradient_reaches_the_image(vgg_loss):
    x = (torch.rand(1, 3, 32, 32) * 2 - 1).requires_grad_()
    vgg_loss(x, torch.zeros(1, 3, 32, 32)).backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is None for p in vgg_loss.parameters())  # the feature network stays frozen


def test_crop_of_a_known_box_extracts_its_pixels():
    images = torch.arange(2 * 3 * 48 * 64, dtype=torch.float32).view(2, 3, 48, 64)
    boxes = torch.tensor([[8.0, 16.0, 24.0, 32.0], [0.0, 0.0, 64.0, 48.0]])
    crops = crop_boxes(images, boxes, 16)
    assert torch.allclose(crops[0], images[0, :, 16:32, 8:24], atol=1e-2)
    whole = crop_boxes(images, boxes, (48, 64))
    assert torch.allclose(whole[1], images[1], atol=1e-2)
    # The box 2..4 sampled 4 times samples x = 2.25, 2.75, 3.25, 3.75; on a ramp whose pixel i (centre
    # i + 1/2) holds i, bilinear gives x - 1/2.
    ramp = torch.arange(8.0).expand(1, 1, 8, 8)
    zoom = crop_boxes(ramp, torch.tensor([[2.0, 2.0, 4.0, 4.0]]), 4)
    assert torch.allclose(zoom[0, 0], torch.tensor([1.75, 2.25, 2.75, 3.25]).expand(4, 4), atol=1e-5)


def test_face_loss_counts_valid_boxes_only(vgg_loss):
    face = FaceLoss(vgg_loss, crop_size=32)
    images = torch.rand(2, 3, 64, 64) * 2 - 1
    targets = images.clone()
    targets[:, :, 40:, :] = 0.0  # differs only below the head box
    targets[1] = -images[1]  # the second sample differs everywhere
    boxes = torch.tensor([[16.0, 8.0, 48.0, 40.0], [16.0, 8.0, 48.0, 40.0]])
    assert face(images, targets, boxes, torch.tensor([True, False])).item() < 1e-6
    assert face(images, targets, boxes, torch.tensor([False, True])).item() > 0.1
    none = face(images.requires_grad_(), targets, boxes, torch.tensor([False, False]))
    assert none.item() == 0.0
    none.backward()  # still differentiable, so a training step need not special-case it


def test_attention_mask_loss_and_total_variation():
    mask = torch.zeros(2, 8, 8)
    mask[:, 2:6, 2:6] = 1
    assert attention_mask_loss(mask[:, None], mask).item() == 0.0
    assert attention_mask_loss(torch.full((2, 1, 8, 8), 0.25), torch.ones(2, 8, 8)).item() == 0.75
    assert attention_mask_loss(torch.zeros(2, 3, 1, 8, 8), torch.ones(2, 3, 8, 8)).item() == 1.0  # (B, S, 1, H, W)
    assert total_variation(torch.full((2, 1, 8, 8), 0.3)).item() == 0.0
    checkerboard = ((torch.arange(8)[:, None] + torch.arange(8)[None]) % 2).float().expand(2, 1, 8, 8)
    assert total_variation(checkerboard).item() == 2.0
    stripes = (torch.arange(8) % 2).float().expand(1, 1, 8, 8)  # varies along x only
    assert total_variation(stripes).item() == 1.0


def test_combine_losses_weights_and_names():
    weights = LossWeights()
    assert (weights.adversarial, weights.reconstruction, weights.perceptual, weights.face) == (1, 10, 10, 5)
    assert (weights.mask, weights.mask_total_variation) == (1, 1)
    terms = {"adversarial": torch.tensor(0.5), "reconstruction": torch.tensor(0.1), "mask_total_variation": torch.tensor(2.0)}
    out = combine_losses(terms, weights)
    assert out["total"].item() == pytest.approx(0.5 + 1.0 + 2.0)
    assert out["reconstruction"].item() == pytest.approx(0.1)  # reported unweighted
    zero_face = combine_losses({"face": torch.tensor(float("nan")), "mask": torch.tensor(1.0)}, LossWeights(face=0))
    assert zero_face["total"].item() == 1.0
    with pytest.raises(ValueError, match="unknown"):
        combine_losses({"style": torch.tensor(1.0)})
