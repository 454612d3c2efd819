import pytest
import torch
from torch import nn

from liquidwarp.losses import (
    FaceLoss,
    LossWeights,
    PerceptualLoss,
    attention_mask_loss,
    combine_losses,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    reconstruction_loss,
    total_variation,
)
from liquidwarp.networks.discriminator import PatchDiscriminator
from liquidwarp.networks.generator import (
    PAPER,
    SMALL,
    BackgroundStream,
    GeneratorConfig,
    LiquidWarpingBlock,
    LiquidWarpingGenerator,
    SourceIdentityStream,
    TransferStream,
    count_flops,
    count_parameters,
)
from liquidwarp.warping import WarpField
from liquidwarp.warping.composite import blank_background

pytestmark = pytest.mark.usefixtures("one_thread")


TINY = dict(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=32)
SIZE = (64, 64)


def whole_body(target_map: torch.Tensor) -> torch.Tensor:
    """A target body covering the whole (B, 3, H, W) map: (B, H, W) bool."""
    return torch.ones(target_map.shape[0], *target_map.shape[-2:], dtype=torch.bool)


def inputs(b, s, size=SIZE, generator=None):
    h, w = size
    images = torch.rand(b, s, 3, h, w, generator=generator) * 2 - 1
    masks = torch.zeros(b, s, h, w)
    masks[..., h // 4 : 3 * h // 4, w // 3 : 2 * w // 3] = 1
    maps = torch.rand(b, s, 3, h, w, generator=generator) * 2 - 1
    target_map = torch.rand(b, 3, h, w, generator=generator) * 2 - 1
    flows = [WarpField.identity(b, size) for _ in range(s)]
    return images, masks, maps, target_map, flows


def shifted_field(b, size, dx, valid=None):
    """Identity shifted by ``dx`` normalised units; ``valid`` (B, H, W) or all True."""
    field = WarpField.identity(b, size)
    grid = field.grid + torch.tensor([dx, 0.0])
    return WarpField(grid, field.valid if valid is None else valid)


# ----------------------------------------------------------------------------------------- shapes


def test_stream_shapes_and_taps():
    x4, x6 = torch.rand(2, 4, *SIZE), torch.rand(2, 6, *SIZE)
    assert BackgroundStream(**TINY).background(x4).shape == (2, 3, *SIZE)

    sid = SourceIdentityStream(**TINY)
    features = sid.encode(x6)
    assert [tuple(t.shape) for t in features.encoder] == [(2, 8, 64, 64), (2, 16, 32, 32), (2, 32, 16, 16)]
    assert [tuple(t.shape) for t in features.residual] == [(2, 32, 16, 16)]
    assert sid.tap_channels == (8, 16, 32, 32)
    colour, attention = sid.decode(features)
    assert colour.shape == (2, 3, *SIZE) and attention.shape == (2, 1, *SIZE)
    assert colour.abs().max() <= 1 and attention.min() >= 0 and attention.max() <= 1

    tsf = TransferStream(fusion="attention", **TINY)
    assert len(tsf.fusion) == 4
    sources = features.unflatten(1, 2)  # batch 1, two sources
    colour, attention = tsf(x6[:1], sources, [WarpField.identity(1, SIZE)] * 2, torch.ones(1, *SIZE, dtype=torch.bool))
    assert colour.shape == (1, 3, *SIZE) and attention.shape == (1, 1, *SIZE)


@pytest.mark.parametrize("sources", [1, 3])
@pytest.mark.parametrize("fusion, modulation", [("add", False), ("attention", False), ("attention", True)])
def test_generator_shapes(sources, fusion, modulation):
    g = LiquidWarpingGenerator(fusion=fusion, modulation=modulation, **TINY)
    images, masks, maps, target_map, flows = inputs(2, sources)
    out = g(images, masks, maps, target_map, whole_body(target_map), flows)
    for name in ("image", "colour", "background"):
        assert getattr(out, name).shape == (2, 3, *SIZE), name
    assert out.attention.shape == (2, 1, *SIZE)
    assert out.source_reconstruction.shape == (2, sources, 3, *SIZE)
    assert out.source_attention.shape == (2, sources, 1, *SIZE)
    assert torch.isfinite(out.image).all() and out.image.abs().max() <= 1


def test_discriminator_shape_and_70px_receptive_field():
    d = PatchDiscriminator(base_channels=8, n_layers=3)
    assert d(torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)).shape == (2, 1, 6, 6)  # 64-32-16-8-7-6
    assert d(torch.rand(1, 3, 256, 256), torch.rand(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    # Without InstanceNorm (whose statistics are global) each logit sees a 70 x 70 window.
    d.layers = nn.Sequential(*(nn.Identity() if isinstance(m, nn.InstanceNorm2d) else m for m in d.layers))
    image = torch.rand(1, 3, 128, 128, requires_grad=True)
    d(image, torch.rand(1, 3, 128, 128))[0, 0, 7, 7].backward()
    seen = image.grad.abs().sum((0, 1)) > 0
    rows, cols = seen.any(1).nonzero()[:, 0], seen.any(0).nonzero()[:, 0]
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (33, 102, 33, 102)  # 7 * 8 - 23, + 70 - 1


# ------------------------------------------------------------------------------- warping block


@pytest.mark.parametrize("sources", [1, 3])
def test_block_add_with_identity_flows_adds_the_sum_of_the_sources(sources):
    block = LiquidWarpingBlock(16, mode="add")
    target, features = torch.rand(2, 16, 16, 16), torch.rand(2, sources, 16, 16, 16)
    same_size = [WarpField.identity(2, (16, 16)) for _ in range(sources)]
    assert torch.allclose(block(target, features, same_size), target + features.sum(1), atol=1e-6)
    full_size = [WarpField.identity(2, SIZE) for _ in range(sources)]  # resized inside: 64 -> 16
    assert torch.allclose(block(target, features, full_size), target + features.sum(1), atol=1e-5)


@pytest.mark.parametrize("mode, modulation", [("add", False), ("attention", False), ("attention", True)])
def test_block_with_no_valid_source_changes_nothing(mode, modulation):
    block = LiquidWarpingBlock(16, mode=mode, modulation=modulation)
    if modulation:
        nn.init.normal_(block.modulate.weight)  # not the identity start: it is the zero input that must do it
    target, features = torch.rand(2, 16, 8, 8), torch.rand(2, 2, 16, 8, 8)
    invalid = [shifted_field(2, (8, 8), 0.1, valid=torch.zeros(2, 8, 8, dtype=torch.bool)) for _ in range(2)]
    assert torch.equal(block(target, features, invalid), target)


@pytest.mark.parametrize("modulation", [False, True])
def test_block_attention_over_copies_of_one_source_equals_that_source(modulation):
    block = LiquidWarpingBlock(16, mode="attention", modulation=modulation)
    if modulation:
        nn.init.normal_(block.modulate.weight, std=0.1)
    target, feature = torch.rand(2, 16, 16, 16), torch.rand(2, 1, 16, 16, 16)
    valid = torch.rand(2, 16, 16) > 0.3
    field = shifted_field(2, (16, 16), 0.05, valid)
    one = block(target, feature, [field])
    three = block(target, feature.expand(2, 3, 16, 16, 16), [field] * 3)
    assert torch.allclose(one, three, atol=1e-5)
    assert not torch.allclose(one, target)  # the source did contribute


def test_block_attention_takes_each_pixel_from_the_only_valid_source():
    block = LiquidWarpingBlock(8, mode="attention")
    target, features = torch.rand(1, 8, 8, 8), torch.rand(1, 2, 8, 8, 8)
    left = torch.zeros(1, 8, 8, dtype=torch.bool)
    left[..., :4] = True
    flows = [WarpField(WarpField.identity(1, (8, 8)).grid, left), WarpField(WarpField.identity(1, (8, 8)).grid, ~left)]
    out = block(target, features, flows)
    expected = target + torch.where(left, features[:, 0], features[:, 1])
    assert torch.allclose(out, expected, atol=1e-6)


# ------------------------------------------------------------------------------------- generator


@pytest.mark.parametrize("fusion", ["add", "attention"])
def test_forward_equals_encode_then_transfer(fusion):
    g = LiquidWarpingGenerator(fusion=fusion, modulation=fusion == "attention", **TINY)
    images, masks, maps, target_map, _ = inputs(2, 2)
    flows = [shifted_field(2, SIZE, 0.1), shifted_field(2, SIZE, -0.2, torch.rand(2, *SIZE) > 0.5)]
    background = blank_background(images[:, 1], masks[:, 1:2], margin=2 / SIZE[-1])
    body = target_map[:, 0] > -1
    out = g(images, masks, maps, target_map, body, flows, background)
    split = g.transfer(g.encode_sources(images, masks, maps, background), target_map, body, flows)
    for name in ("image", "colour", "attention", "background", "source_reconstruction", "source_attention"):
        assert torch.equal(getattr(out, name), getattr(split, name)), name
    # Inference encodes without decoding G_SID; the transfer is the same.
    fast = g.transfer(g.encode_sources(images, masks, maps, background, decode=False), target_map, body, flows)
    assert torch.equal(fast.image, out.image) and fast.source_reconstruction is None


@pytest.mark.parametrize("alpha, expected", [(1.0, "colour"), (0.0, "background")])
def test_attention_is_the_person_alpha(alpha, expected):
    g = LiquidWarpingGenerator(**TINY)
    head = g.transfer_stream.head  # channels 0..2 colour, 3 attention
    with torch.no_grad():
        head.weight[3].zero_()
        head.bias[3] = 200.0 if alpha else -200.0  # sigmoid saturates to exactly 1 / 0 in float32
    images, masks, maps, target_map, flows = inputs(1, 1)
    out = g(images, masks, maps, target_map, whole_body(target_map), flows)
    assert torch.equal(out.attention, torch.full_like(out.attention, alpha))
    assert torch.equal(out.image, getattr(out, expected))


def test_presets():
    with torch.device("meta"):
        paper, small = PAPER.build(), SMALL.build()

    def stream(c, in_channels, out_channels, stem_kernel, blocks):  # count by hand, layer by layer
        n = in_channels * c[0] * stem_kernel**2 + 2 * c[0]  # stem conv (no bias) + InstanceNorm affine
        n += sum(c[i] * c[i + 1] * 9 + 2 * c[i + 1] for i in range(len(c) - 1))  # down-sampling
        n += blocks * 2 * (c[-1] ** 2 * 9 + 2 * c[-1])  # residual blocks
        n += sum(c[i + 1] * c[i] + c[i] ** 2 * 9 + 2 * c[i] for i in range(len(c) - 1))  # 1x1 projection + 3x3
        return n + c[0] * out_channels * 9 + out_channels  # head

    c = (64, 128, 256, 512)
    assert count_parameters(paper.background_stream) == stream(c, 4, 3, 7, 6)
    assert count_parameters(paper.source_stream) == count_parameters(paper.transfer_stream) == stream(c, 6, 4, 7, 6)
    assert count_parameters(paper) == 92_519_883  # the original's 97 M had 4 x 4 and transposed convolutions
    assert count_parameters(small) < count_parameters(paper) / 30
    assert GeneratorConfig() == PAPER  # the defaults are the paper's


def test_count_flops_of_one_convolution():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_flops(conv, torch.rand(1, 3, 16, 16)) == 2 * 3 * 8 * 9 * 16 * 16


# ---------------------------------------------------------------------------------------- training


def generator_losses(g, d, perceptual, face, batch):
    images, masks, maps, target_image, target_mask, target_map, flows, boxes = batch
    out = g(images, masks, maps, target_map, whole_body(target_map), flows)
    terms = {
        "adversarial": lsgan_generator_loss(d(out.image, target_map)),
        "reconstruction": reconstruction_loss(out.source_reconstruction, images),
        "perceptual": perceptual(out.image, target_image),
        "face": face(out.image, target_image, boxes, torch.tensor([True, False])),
        "mask": attention_mask_loss(out.attention, target_mask) + attention_mask_loss(out.source_attention, masks),
        "mask_total_variation": total_variation(out.attention),
    }
    return out, combine_losses(terms, LossWeights())


@pytest.fixture(scope="module")
def perceptual():
    return PerceptualLoss()


def tiny_batch(size=(32, 32)):
    gen = torch.Generator().manual_seed(1)
    images, masks, maps, target_map, _ = inputs(2, 1, size, gen)
    target_image = torch.rand(2, 3, *size, generator=gen) * 2 - 1
    target_mask = masks[:, 0].roll(2, dims=-1)
    flows = [shifted_field(2, size, 0.125, torch.rand(2, *size, generator=gen) > 0.2)]
    boxes = torch.tensor([[4.0, 2.0, 20.0, 18.0], [0.0, 0.0, 8.0, 8.0]])
    return images, masks, maps, target_image, target_mask, target_map, flows, boxes


@pytest.mark.parametrize("fusion", ["add", "attention"])
def test_every_parameter_gets_a_gradient(fusion, perceptual):
    g = LiquidWarpingGenerator(fusion=fusion, **TINY)
    d = PatchDiscriminator(base_channels=8, n_layers=2)
    _, _, _, target_image, target_mask, target_map, flows, boxes = tiny_batch()
    images, masks, maps, _, _ = inputs(2, 2, (32, 32))
    flows = [flows[0], shifted_field(2, (32, 32), -0.1)]  # two sources, so the attention scores matter
    batch = (images, masks, maps, target_image, target_mask, target_map, flows, boxes)
    out, losses = generator_losses(g, d, perceptual, FaceLoss(perceptual), batch)
    losses["total"].backward()
    for name, p in g.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    d.zero_grad()
    lsgan_discriminator_loss(d(target_image, target_map), d(out.image.detach(), target_map)).backward()
    for name, p in d.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_generator_and_discriminator_steps_lower_their_losses(perceptual):
    g = LiquidWarpingGenerator(**TINY)
    d = PatchDiscriminator(base_channels=8, n_layers=2)
    face = FaceLoss(perceptual)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batch = tiny_batch()
    target_image, target_map = batch[3], batch[5]
    totals = []
    for step in range(12):
        out, losses = generator_losses(g, d, perceptual, face, batch)
        totals.append(losses["total"].item())
        g_opt.zero_grad()
        losses["total"].backward()
        g_opt.step()
        fake = out.image.detach()
        d_loss = lambda: lsgan_discriminator_loss(d(target_image, target_map), d(fake, target_map))  # noqa: E731
        before = d_loss()
        d_opt.zero_grad()
        before.backward()
        d_opt.step()
        with torch.no_grad():
            assert d_loss() < before  # one D step on the same real and fake lowers D's loss
    assert totals[-1] < 0.7 * totals[0], totals


@pytest.mark.parametrize("fusion, modulation", [("add", False), ("attention", True)])
def test_generator_runs_and_backpropagates_under_bf16_autocast(fusion, modulation):
    g = LiquidWarpingGenerator(fusion=fusion, modulation=modulation, **TINY)
    images, masks, maps, target_map, _ = inputs(1, 2, (32, 32))
    flows = [shifted_field(1, (32, 32), 0.1), shifted_field(1, (32, 32), -0.1, torch.rand(1, 32, 32) > 0.5)]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = g(images, masks, maps, target_map, whole_body(target_map), flows)
        loss = reconstruction_loss(out.image, target_map) + attention_mask_loss(out.attention, masks[:, 0])
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in g.transfer_stream.parameters())


def test_generator_speed_counts_the_presets_flops():
    from liquidwarp.bench.speed import generator_speed

    out = generator_speed((32,), repeats=1, progress=False)["32"]
    # Convolution FLOPs grow with the pixel count: 1/64 of the 256 x 256 figures (83.3 and 3.3 GFLOP).
    assert out["paper"]["gflop_per_frame"] == pytest.approx(83.3 / 64, rel=0.02)
    assert out["small"]["gflop_per_frame"] == pytest.approx(3.3 / 64, rel=0.05)
    for preset in ("paper", "small"):
        entry = out[preset]
        assert entry["fp32"]["frames_per_s"] > 0 and entry["fp32"]["gflop_per_s"] > 0
        assert entry["frames_per_s"] == entry[entry["precision"]]["frames_per_s"]
    from liquidwarp.networks.precision import bf16_helps

    assert out["small"]["precision"] == ("bf16" if bf16_helps(torch.device("cpu")) else "fp32")


def test_push_pull_fills_holes_from_what_is_known():
    from liquidwarp.warping.fill import push_pull_fill

    gen = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 20, 24, generator=gen) * 2 - 1
    hole = torch.zeros(2, 1, 20, 24)
    hole[..., 5:15, 6:18] = 1
    out = push_pull_fill(image * (1 - hole), hole)
    known = hole.expand_as(image) == 0
    assert torch.equal(out[known], image[known])  # what is known stays
    assert out[~known].min() >= image.min() and out[~known].max() <= image.max()  # averages only
    flat = push_pull_fill(torch.full((1, 3, 16, 16), 0.3) * (1 - hole[:1, :, :16, :16]), hole[:1, :, :16, :16])
    assert torch.allclose(flat, torch.full_like(flat, 0.3), atol=1e-6)  # a flat scene is filled exactly


def test_untrained_residual_background_stream_is_the_classical_fill():
    from liquidwarp.networks.generator import RESIDUAL_LIMIT, BackgroundStream
    from liquidwarp.warping.fill import push_pull_fill

    stream = BackgroundStream(keep_known=True, base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16)
    image = torch.rand(1, 3, 32, 32) * 1.8 - 0.9
    mask = torch.zeros(1, 32, 32)
    mask[:, 8:24, 10:20] = 1
    x = blank_background(image, mask[:, None], margin=0.0)
    expected = push_pull_fill(x[:, :3], x[:, 3:]).clamp(-RESIDUAL_LIMIT, RESIDUAL_LIMIT)
    out = stream.background(x)
    assert torch.allclose(out[:, :, mask[0] == 1], expected[:, :, mask[0] == 1], atol=1e-5)
    assert torch.equal(out[:, :, mask[0] == 0], image[:, :, mask[0] == 0])


def test_attention_prior_starts_as_the_target_silhouette():
    from liquidwarp.networks.generator import dummy_transfer_inputs

    config = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True, attention_prior=6.0)
    generator = config.build().eval()
    encoded, target_map, _, flows = dummy_transfer_inputs(generator, (32, 32))
    target_map = torch.full_like(target_map, -1.0)  # background code everywhere ...
    target_map[..., 8:24, 12:20] = 0.3  # ... but a body here
    with torch.no_grad():
        out = generator.transfer(encoded, target_map, target_map[:, 0] > -1, flows)
    body = torch.zeros(1, 1, 32, 32, dtype=torch.bool)
    body[..., 8:24, 12:20] = True
    inner = torch.zeros_like(body)
    inner[..., 9:23, 13:19] = True
    assert torch.allclose(out.attention[inner], torch.sigmoid(torch.tensor(6.0)), atol=1e-6)
    assert torch.allclose(out.attention[~body], torch.sigmoid(torch.tensor(-6.0)), atol=1e-6)
    # The edge row is feathered: a corner pixel has 4 of its 9 neighbours on the body, an edge one 6.
    assert torch.allclose(out.attention[0, 0, 8, 12], torch.tensor(4 / 9), atol=1e-5)
    assert torch.allclose(out.attention[0, 0, 8, 15], torch.tensor(6 / 9), atol=1e-5)


def test_unseen_body_pixels_are_filled_from_the_seen_ones_and_nothing_else_changes():
    from liquidwarp.warping.fill import fill_unseen_body

    image = torch.zeros(1, 3, 16, 16)
    image[:, 0] = 0.4  # red everywhere the source sees
    seen = torch.zeros(1, 16, 16, dtype=torch.bool)
    seen[:, 2:14, 2:8] = True  # the left half of the body is seen
    target_map = torch.full((1, 3, 16, 16), -1.0)
    target_map[..., 2:14, 2:14] = 0.2  # the body
    out = fill_unseen_body(image * seen[:, None], seen, target_map[:, 0] > -1)
    hole = torch.zeros(1, 16, 16, dtype=torch.bool)
    hole[:, 2:14, 8:14] = True
    assert torch.allclose(out[:, 0][hole], torch.tensor(0.4)) and torch.all(out[:, 1:, hole[0]] == 0)
    off_body = ~(seen | hole)
    assert torch.all(out[:, :, off_body[0]] == 0)  # the background stays as it was
    assert torch.equal(out[:, :, seen[0]], (image * seen[:, None])[:, :, seen[0]])


def test_untrained_filled_transfer_is_the_warped_source_with_its_unseen_pixels_filled():
    from liquidwarp.networks.generator import RESIDUAL_LIMIT
    from liquidwarp.warping.fill import fill_unseen_body
    from liquidwarp.warping.flow import WarpField, warp

    config = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True, attention_prior=6.0, fill_unseen=True)
    generator = config.build().eval()
    gen = torch.Generator().manual_seed(1)
    images = torch.rand(1, 1, 3, 32, 32, generator=gen) * 0.4 + 0.3  # colours in [0.3, 0.7]
    masks = torch.ones(1, 1, 32, 32)
    with torch.no_grad():
        encoded = generator.encode_sources(images, masks, images, decode=False)
    flow = WarpField.identity(1, (32, 32))
    valid = flow.valid.clone()
    valid[:, 10:20, 16:24] = False  # a patch of the body no source sees
    flow = WarpField(flow.grid, valid)
    target_map = torch.full((1, 3, 32, 32), -1.0)
    target_map[..., 4:28, 8:26] = 0.1
    with torch.no_grad():
        out = generator.transfer(encoded, target_map, target_map[:, 0] > -1, [flow])
    expected = fill_unseen_body(warp(encoded.foreground[:, 0], flow), valid, target_map[:, 0] > -1).clamp(-RESIDUAL_LIMIT, RESIDUAL_LIMIT)
    body = target_map[:, :1] > -1
    assert torch.allclose(out.colour.expand_as(expected)[body.expand_as(expected)], expected[body.expand_as(expected)], atol=1e-5)
    hole = ~valid[:, None] & body
    assert out.colour[hole.expand_as(out.colour)].min() > 0.29  # filled from the seen colours, not the 0 of "unseen"


def test_each_source_fills_only_the_region_it_dresses():
    from liquidwarp.warping.flow import WarpField

    config = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True, attention_prior=6.0, fill_unseen=True)
    generator = config.build().eval()
    red, blue = torch.tensor([0.8, -0.8, -0.8]), torch.tensor([-0.8, -0.8, 0.8])
    images = torch.stack([red.view(3, 1, 1).expand(3, 32, 32), blue.view(3, 1, 1).expand(3, 32, 32)])[None]
    with torch.no_grad():
        encoded = generator.encode_sources(images, torch.ones(1, 2, 32, 32), images, decode=False)
    target_map = torch.full((1, 3, 32, 32), -1.0)
    target_map[..., 4:28, 4:28] = 0.1  # the body
    top = torch.zeros(1, 32, 32, dtype=torch.bool)
    top[:, :16] = True
    identity = WarpField.identity(1, (32, 32))
    seen_red = top.clone()
    seen_red[:, 8:16] = False  # red (dressing the top half) sees only its first rows
    seen_blue = torch.zeros_like(top)
    seen_blue[:, 26:28, 4:6] = True  # blue (the bottom half) sees one small patch, far from most of it
    flows = [WarpField(identity.grid, seen_red), WarpField(identity.grid, seen_blue)]
    with torch.no_grad():
        out = generator.transfer(encoded, target_map, target_map[:, 0] > -1, flows, regions=[top, ~top])
    colour = out.colour[0]
    assert torch.allclose(colour[:, 10, 4:28], red[:, None].clamp(-0.995, 0.995), atol=1e-4)  # unseen top: from red
    assert torch.allclose(colour[:, 18, 4:28], blue[:, None].clamp(-0.995, 0.995), atol=1e-4)  # unseen bottom: from blue, next to red


def test_the_guess_takes_over_only_far_from_the_seen_pixels():
    from liquidwarp.warping.fill import fill_unseen_body, guess_weight

    seen = torch.zeros(1, 64, 128, dtype=torch.bool)
    seen[:, :, :32] = True  # the left quarter is seen
    weight = guess_weight(seen)[0, 0]  # window 0.12 x 128 -> 15 pixels
    assert (weight[:, :32] == 0).all() and (weight[:, 32] < 0.1).all()  # on and next to the seen pixels: the push-pull fill
    assert (weight[:, 39:] == 1).all()  # half a window away and more: the guess alone
    image = torch.zeros(1, 3, 64, 128)
    image[:, 0] = 1.0  # seen pixels are red
    guess = torch.zeros(1, 3, 64, 128)
    guess[:, 2] = 1.0  # the guess is blue
    body = torch.ones(1, 64, 128, dtype=torch.bool)  # all body
    out = fill_unseen_body(image * seen[:, None], seen, body, guess=guess)
    assert torch.allclose(out[0, :, :, 100], torch.tensor([0.0, 0.0, 1.0])[:, None])  # far: the guess
    next_to = out[0, :, :, 32]
    assert (next_to[0] > 0.8).all() and (next_to[2] < 0.1).all()  # next to red: red (the push-pull fill)


def _select_case(seed: int = 3):
    """A small ``fill_unseen`` generator's encoded source, a target body with an unseen patch,
    and a guess that differs from the input everywhere."""
    from liquidwarp.warping.flow import WarpField

    config = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, residual=True, attention_prior=6.0, fill_unseen=True)
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(1, 1, 3, 32, 32, generator=gen) * 0.4 + 0.3
    flow = WarpField.identity(1, (32, 32))
    valid = flow.valid.clone()
    valid[:, 10:20, 16:24] = False
    target_map = torch.full((1, 3, 32, 32), -1.0)
    target_map[..., 4:28, 8:26] = 0.1
    guess = torch.rand(1, 3, 32, 32, generator=gen) * 0.4 - 0.6  # colours in [-0.6, -0.2]: never the input's
    return config, images, WarpField(flow.grid, valid), target_map, guess


def _transfer(generator, images, flow, target_map, guess):
    with torch.no_grad():
        encoded = generator.encode_sources(images, torch.ones(1, 1, 32, 32), images, decode=False)
        return generator.transfer(encoded, target_map, target_map[:, 0] > -1, [flow], guess=guess)


@pytest.mark.parametrize("pick", [0, 1])
def test_a_saturated_select_head_copies_the_input_or_the_guess_exactly(pick):
    from dataclasses import replace

    config, images, flow, target_map, guess = _select_case()
    generator = replace(config, select=True).build().eval()
    with torch.no_grad():  # random weights elsewhere; the choice logits pinned: +40 for one, -40 for the other
        generator.transfer_stream.head.weight[4:].zero_()
        generator.transfer_stream.head.bias[4:] = torch.tensor([40.0, -40.0] if pick == 0 else [-40.0, 40.0])
        generator.transfer_stream.head.weight[:3].normal_(0, 0.5)  # a residual colour far from its input
    out = _transfer(generator, images, flow, target_map, guess)
    body = (target_map[:, :1] > -1).expand(-1, 3, -1, -1)
    with torch.no_grad():
        encoded = generator.encode_sources(images, torch.ones(1, 1, 32, 32), images, decode=False)
        expected = generator.image_input(encoded, target_map[:, 0] > -1, [flow], None, guess) if pick == 0 else guess
    assert torch.allclose(out.colour[body], expected[body], atol=1e-6)


def test_select_start_from_a_generator_without_it_renders_as_that_generator_when_the_choice_is_the_residual():
    from dataclasses import replace

    from liquidwarp.training.loop import with_select

    config, images, flow, target_map, guess = _select_case()
    torch.manual_seed(0)
    source = config.build().eval()
    with torch.no_grad():
        source.transfer_stream.head.weight.normal_(0, 0.2)  # a trained-looking head: not the identity
    grown = with_select(source, replace(config, select=True)).eval()
    stem = grown.transfer_stream.stem[0].weight
    assert stem.shape[1] == 9 and (stem[:, 6:] == 0).all() and torch.equal(stem[:, :6], source.transfer_stream.stem[0].weight)
    start = grown.transfer_stream.head.bias[4:].tolist()
    assert start == [0.0, -2.0]  # the choice starts at input 0.47, guess 0.06, residual 0.47
    with torch.no_grad():
        grown.transfer_stream.head.bias[4:] = -40.0  # choose the residual colour alone
    before, after = _transfer(source, images, flow, target_map, guess), _transfer(grown, images, flow, target_map, guess)
    assert torch.allclose(before.colour, after.colour, atol=1e-5) and torch.allclose(before.attention, after.attention, atol=1e-6)
    assert not torch.allclose(before.colour, guess, atol=0.1)
    with pytest.raises(ValueError, match="cannot become"):
        with_select(config.build(), replace(config, select=True, base_channels=16))


def test_select_needs_the_residual_colour():
    with pytest.raises(ValueError, match="select needs residual"):
        GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, select=True).build()


def test_the_select_prior_starts_the_choice_as_warp_does_input_where_seen_guess_where_not():
    from dataclasses import replace

    config, images, flow, target_map, guess = _select_case()
    torch.manual_seed(1)
    generator = replace(config, select=True, select_prior=30.0).build().eval()
    with torch.no_grad():
        generator.transfer_stream.head.weight[:3].normal_(0, 0.5)  # a residual colour far from its input
    out = _transfer(generator, images, flow, target_map, guess)
    body = target_map[0, 0] > -1
    seen, unseen = body & flow.valid[0], body & ~flow.valid[0]
    assert unseen.sum() == 80 and seen.sum() > 300
    with torch.no_grad():
        encoded = generator.encode_sources(images, torch.ones(1, 1, 32, 32), images, decode=False)
        given = generator.image_input(encoded, target_map[:, 0] > -1, [flow], None, guess)
    assert torch.allclose(out.colour[0][:, seen], given[0][:, seen], atol=1e-6)  # the input where a source sees
    assert torch.allclose(out.colour[0][:, unseen], guess[0][:, unseen], atol=1e-6)  # the guess where none does
    # without the prior the same weights mix in the residual colour everywhere
    plain = replace(config, select=True).build().eval()
    plain.load_state_dict(generator.state_dict())
    mixed = _transfer(plain, images, flow, target_map, guess)
    assert not torch.allclose(mixed.colour[0][:, unseen], guess[0][:, unseen], atol=0.05)
    with pytest.raises(ValueError, match="select_prior needs select"):
        replace(config, select_prior=4.0).build()


def test_a_run_with_the_select_prior_grows_from_a_generator_without_select(tmp_path):
    from dataclasses import replace

    from liquidwarp.training.config import TrainConfig
    from liquidwarp.training.checkpoint import save_bundle
    from liquidwarp.training.loop import initial_generator

    config, *_ = _select_case()
    bundle = tmp_path / "g.pt"
    save_bundle(bundle, config.build(), config, {})
    run = TrainConfig()
    run = replace(run, generator=replace(config, select=True, select_prior=4.0), run=replace(run.run, init=str(bundle)))
    grown = initial_generator(run)
    assert grown.transfer_stream.select_prior == 4.0 and grown.transfer_stream.stem[0].weight.shape[1] == 9
