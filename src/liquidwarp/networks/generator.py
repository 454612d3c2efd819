"""The Liquid Warping GAN generator: background, source identity and transfer streams, and the
Liquid Warping Block that carries source features into the transfer stream.

Liu et al., "Liquid Warping GAN", ICCV 2019, section 3.3 (three streams, LWB by addition); and its
successor "Liquid Warping GAN with Attention", TPAMI 2021 (attention over sources, SPADE-style
modulation). The networks take prepared tensors only: the transfer flows come as
:class:`~liquidwarp.warping.flow.WarpField` values computed elsewhere; nothing here renders or
poses a body.

Conventions (those of the project):
- images and colour maps are (B, 3, H, W) in [-1, 1]; correspondence maps C_s, C_t are
  (B, 3, H, W) as the renderer makes them; masks are (B, H, W), 1 = person;
- **attention A is the person alpha**: 1 = person, like every mask here. The composite is
  ``A * P + (1 - A) * background``. (The original code used the opposite, A = 1 = background.)
- several sources are stacked on dimension 1: (B, S, ...); flows are a list of S fields, each
  (B, H, W), the flow of source s pointing from the target into source s.

Layers (a choice, not the original's exactly):
- down-sampling is a 3 x 3 stride-2 convolution (9 taps instead of pix2pix's 4 x 4 = 16: 44 % fewer
  FLOPs for these layers, and the residual blocks supply the receptive field);
- up-sampling is nearest up-sampling followed by a 3 x 3 convolution, not a transposed convolution:
  it has no checkerboard artefacts (Odena et al., "Deconvolution and Checkerboard Artifacts",
  Distill 2016); the UNet skip is added before that convolution rather than concatenated (see
  :class:`UpSample`: a third of the decoder's cost);
- the stem is 7 x 7 by default (``stem_kernel``; cheap on 4 or 6 input channels), the output head
  3 x 3 (a 7 x 7 head on the full-resolution features would add about 10 % to SMALL's FLOPs).

Presets (parameters of G_BG + G_SID + G_TSF; FLOPs of one 256 x 256 frame of :meth:`transfer`
with one source, 2 per multiply-add, convolutions only):
- ``PAPER``: 64-128-256-512, 6 residual blocks: 92.5 M parameters (30.8 M per stream; the original
  reports 97 M: its 4 x 4 down-sampling, transposed-convolution decoder and concatenated skips
  are larger), 83.3 GFLOP (20.8 at 128 x 128).
- ``SMALL``: 16-32-64-128, 2 residual blocks: 2.26 M parameters, 3.3 GFLOP.
Measured on a 2-core AMD EPYC (Zen 3, AVX2) machine while other jobs loaded it (load average ~4),
one thread, median of 10 after warm-up: PAPER 1.36 s, SMALL 156 ms (6.4 frames/s) in fp32. bf16
autocast depends on the CPU: without AVX-512 BF16 / AMX, oneDNN declines bf16 convolutions and
PyTorch falls back to its slow reference convolution (that machine: SMALL 6.5 s, PAPER 187 s per
frame); on a 2-core AMD EPYC with AVX-512 BF16 it is faster than fp32 (PAPER 4.38 vs 3.06 frames/s,
SMALL 41.67 vs 35.08, 256², 2 threads; ``liquidwarp bench speed``, BENCHMARKS.md). Use bf16 only where
``torch.ops.mkldnn._is_mkldnn_bf16_supported()`` (or a GPU): ``liquidwarp.networks.precision.bf16_helps``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Literal, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from liquidwarp.warping.composite import blank_background, composite, feather_silhouette
from liquidwarp.warping.fill import fill_unseen_body, push_pull_fill
from liquidwarp.warping.flow import WarpField, merge_sources, warp

Fusion = Literal["add", "attention"]
RESIDUAL_LIMIT = 0.995  # warped colours are clipped to this before atanh (atanh(1) is infinite)
#: The choice logits (input, guess) of an untrained ``select`` head (the residual colour's is 0):
#: weights 0.47 / 0.06 / 0.47.
SELECT_START = (0.0, -2.0)


# ------------------------------------------------------------------------------------ building blocks


class ConvNormReLU(nn.Sequential):
    """Convolution (no bias: the norm removes it), InstanceNorm (affine), ReLU. ``stride`` 2 halves
    the size (rounding up); padding keeps ``size / stride``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            nn.InstanceNorm2d(out_channels, affine=True),
            nn.ReLU(inplace=True),
        )


class DownSample(ConvNormReLU):
    """Halve the size: 3 x 3 stride-2 convolution + InstanceNorm + ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size=3, stride=2)


class UpSample(nn.Module):
    """Back up one level with a UNet skip added (LinkNet-style, Chaurasia & Culurciello 2017):
    1 x 1 projection to the skip's channels at the low resolution, nearest up-sampling to the skip's
    size, ``+ skip``, then 3 x 3 conv + InstanceNorm + ReLU.
    ``(B, Cin, h, w), (B, Cout, H, W) -> (B, Cout, H, W)``.

    Adding rather than concatenating the skip makes the 3 x 3 convolution Cout -> Cout instead of
    (Cin + Cout) -> Cout: a third of the decoder's FLOPs, which dominate at full resolution.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.conv = ConvNormReLU(out_channels, out_channels, kernel_size=3)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        # 1 x 1 before nearest up-sampling equals 1 x 1 after it, at a quarter of the cost.
        x = F.interpolate(self.project(x), size=skip.shape[-2:], mode="nearest")
        return self.conv(x + skip)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))`` with 3 x 3 convolutions, channels unchanged."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormReLU(channels, channels, kernel_size=3),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


# ------------------------------------------------------------------------------------------ streams


@dataclass(frozen=True)
class SourceFeatures:
    """The features a ResUNet encoder produces, in the order the Liquid Warping Block visits them.

    Attributes:
        encoder: ``downsamplings + 1`` tensors, level ``i`` of shape (..., C_i, H / 2^i, W / 2^i):
            after the stem, then after each down-sampling.
        residual: ``residual_blocks`` tensors (..., C_n, H / 2^n, W / 2^n), after each residual block.
    The leading dimensions are (N,) straight from :meth:`ResUNet.encode`, or (B, S) inside
    :class:`EncodedSources`.
    """

    encoder: tuple[torch.Tensor, ...]
    residual: tuple[torch.Tensor, ...]

    @property
    def taps(self) -> tuple[torch.Tensor, ...]:
        """All features in visiting order: the encoder levels, then the residual blocks."""
        return self.encoder + self.residual

    def unflatten(self, batch_size: int, sources: int) -> SourceFeatures:
        """(B * S, C, h, w) tensors -> (B, S, C, h, w), batch-major."""

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch_size, sources, *t.shape[1:])

        return SourceFeatures(tuple(map(split, self.encoder)), tuple(map(split, self.residual)))


def stream_channels(base_channels: int, downsamplings: int, max_channels: int) -> tuple[int, ...]:
    """Channels at each encoder level: ``min(base * 2^i, max_channels)`` for i = 0..downsamplings."""
    return tuple(min(base_channels * 2**i, max_channels) for i in range(downsamplings + 1))


class ResUNet(nn.Module):
    """ResNet blocks in the bottleneck + UNet skips: a ``stem_kernel`` square stem (7 x 7 by
    default), ``downsamplings`` stride-2 levels, ``residual_blocks`` blocks, symmetric up-sampling
    with skips, and a 3 x 3 head giving ``out_channels`` tanh colour channels (+ one sigmoid
    attention channel when ``attention``).

    Any H, W works (stride-2 layers round up; up-sampling goes back to the skip's size).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int = 3,
        attention: bool = True,
        *,
        base_channels: int = 64,
        downsamplings: int = 3,
        residual_blocks: int = 6,
        max_channels: int = 512,
        stem_kernel: int = 7,
        extra_outputs: int = 0,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.attention = in_channels, out_channels, attention
        self.channels = stream_channels(base_channels, downsamplings, max_channels)
        c = self.channels
        self.stem = ConvNormReLU(in_channels, c[0], kernel_size=stem_kernel)
        self.down = nn.ModuleList(DownSample(c[i], c[i + 1]) for i in range(downsamplings))
        self.blocks = nn.ModuleList(ResidualBlock(c[-1]) for _ in range(residual_blocks))
        self.up = nn.ModuleList(UpSample(c[i + 1], c[i]) for i in reversed(range(downsamplings)))
        self.head = nn.Conv2d(c[0], out_channels + int(attention) + extra_outputs, 3, padding=1)

    @property
    def tap_channels(self) -> tuple[int, ...]:
        """Channels of each tensor of :attr:`SourceFeatures.taps`."""
        return self.channels + (self.channels[-1],) * len(self.blocks)

    def encode(self, x: torch.Tensor, fuse: Callable[[int, torch.Tensor], torch.Tensor] | None = None) -> SourceFeatures:
        """(N, in_channels, H, W) -> the encoder and residual features. ``fuse(tap, feature)``, when
        given, replaces each feature as soon as it is made (the transfer stream's LWB)."""
        assert x.ndim == 4 and x.shape[1] == self.in_channels, (tuple(x.shape), self.in_channels)
        fuse = fuse or (lambda tap, feature: feature)
        h = fuse(0, self.stem(x))
        encoder = [h]
        for level, down in enumerate(self.down, start=1):
            h = fuse(level, down(h))
            encoder.append(h)
        residual = []
        for index, block in enumerate(self.blocks, start=len(encoder)):
            h = fuse(index, block(h))
            residual.append(h)
        return SourceFeatures(tuple(encoder), tuple(residual))

    def head_output(self, features: SourceFeatures) -> torch.Tensor:
        """Features -> the head's raw output (N, out_channels [+ 1] [+ extra_outputs], H, W): colour
        before tanh, then the attention logit, then any extra channels."""
        h = features.residual[-1] if features.residual else features.encoder[-1]
        for up, skip in zip(self.up, reversed(features.encoder[:-1])):
            h = up(h, skip)
        return self.head(h)

    def decode_raw(self, features: SourceFeatures) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Features -> the colour head's raw output (N, out_channels, H, W) (before tanh) and
        the attention (N, 1, H, W) in [0, 1] (sigmoid; None without an attention channel)."""
        out = self.head_output(features)
        attention = torch.sigmoid(out[:, self.out_channels : self.out_channels + 1]) if self.attention else None
        return out[:, : self.out_channels], attention

    def decode(self, features: SourceFeatures) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Features (N, ...) -> colour (N, out_channels, H, W) in [-1, 1] (tanh) and attention
        (N, 1, H, W) in [0, 1] (sigmoid; None without an attention channel)."""
        raw, attention = self.decode_raw(features)
        return torch.tanh(raw), attention

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.decode(self.encode(x))


class BackgroundStream(ResUNet):
    """G_BG: (B, 4, H, W) = source with the person blanked ‖ person mask (see
    :func:`~liquidwarp.warping.composite.blank_background`) -> (B, 3, H, W) background in [-1, 1] (tanh). Use :meth:`background`.

    With ``keep_known`` the pixels outside the blanked region are the input's own and the network
    only changes the hole, starting from a classical fill (:func:`~liquidwarp.warping.fill.push_pull_fill`): its colour head
    is zero-initialised and adds to ``atanh`` of that fill, so an untrained G_BG in-paints like the
    classical method and training improves on it.
    """

    def __init__(self, keep_known: bool = False, **widths) -> None:
        super().__init__(4, 3, attention=False, **widths)
        self.keep_known = keep_known
        if keep_known:
            with torch.no_grad():
                self.head.weight.zero_()
                self.head.bias.zero_()

    def background(self, x: torch.Tensor) -> torch.Tensor:
        if not self.keep_known:
            return self(x)[0]
        raw, _ = self.decode_raw(self.encode(x))
        hole = x[:, 3:4]
        base = push_pull_fill(x[:, :3].float(), hole.float()).clamp(-RESIDUAL_LIMIT, RESIDUAL_LIMIT)
        return x[:, :3] * (1 - hole) + torch.tanh(raw + torch.atanh(base).to(raw.dtype)) * hole


class SourceIdentityStream(ResUNet):
    """G_SID, a denoising auto-encoder: (N, 6, H, W) = source foreground (background pixels 0) ‖
    source correspondence map C_s -> source colour P_s (N, 3, H, W), tanh, and person alpha A_s
    (N, 1, H, W), sigmoid, 1 = person; the reconstruction is ``A_s * P_s + (1 - A_s) * background``.

    :meth:`encode` gives the features the Liquid Warping Block carries into G_TSF; :meth:`decode`
    reconstructs from them.
    """

    def __init__(self, **widths) -> None:
        super().__init__(6, 3, attention=True, **widths)


class TransferStream(ResUNet):
    """G_TSF: (B, 6, H, W) = the source foreground warped to the target ‖ target correspondence
    map C_t -> colour P (B, 3, H, W), tanh, and attention A (B, 1, H, W), sigmoid.

    **A is the person alpha** (1 = person): the output image is ``A * P + (1 - A) * background``.

    After the stem, each down-sampling and each residual block a :class:`LiquidWarpingBlock` fuses
    the matching G_SID features of every source, warped by that source's flow.

    Additions to the paper (each a constructor flag, off by default): ``residual`` (the colour is
    ``tanh(raw + atanh(warped input))``, head zero-initialised, so the untrained stream copies its
    warped input), ``attention_prior`` (the attention starts as the target's feathered silhouette)
    and, in :class:`LiquidWarpingGenerator`, ``fill_unseen`` (the warped input's unseen body
    pixels are filled from the seen ones). Together: an untrained generator renders as 3D warping
    does, and training teaches it corrections.

    ``select`` (with ``residual``): the input gets three more channels, the completed texture's
    guess on the body (B, 3, H, W), and the colour is a per-pixel choice among three candidates,
    ``softmax(l_input, l_guess, 0)`` weighting the warped input, the guess and the residual colour
    (two more head channels give the logits). A residual colour can only copy its input
    approximately; a saturated choice copies it, or the guess, exactly.

    ``select_prior`` (with ``select``): the choice logits get ``+select_prior`` for the input on
    the target body pixels a source sees and for the guess on those it does not, so that the
    untrained choice renders as the classical ``warp`` does (input where seen, guess where not)
    and training learns where to depart from it (as ``attention_prior`` does for the alpha).
    """

    def __init__(
        self,
        fusion: Fusion = "add",
        modulation: bool = False,
        residual: bool = False,
        attention_prior: float = 0.0,
        select: bool = False,
        select_prior: float = 0.0,
        **widths,
    ) -> None:
        if select and not residual:
            raise ValueError("select needs residual: the residual colour is one of its candidates")
        if select_prior and not select:
            raise ValueError("select_prior needs select")
        super().__init__(9 if select else 6, 3, attention=True, extra_outputs=2 if select else 0, **widths)
        self.fusion = nn.ModuleList(LiquidWarpingBlock(c, mode=fusion, modulation=modulation) for c in self.tap_channels)
        self.residual = residual
        self.attention_prior = attention_prior
        self.select = select
        self.select_prior = select_prior
        if residual:  # start as the identity on the warped pixels: the colour head's weights at 0
            with torch.no_grad():
                self.head.weight[:3].zero_()
                self.head.bias[:3].zero_()
        if attention_prior:  # start as the target body's silhouette: the attention head at 0
            with torch.no_grad():
                self.head.weight[3:4].zero_()
                self.head.bias[3:4].zero_()
        if select:  # start choosing the input and the residual colour about equally, the guess little
            with torch.no_grad():
                self.head.weight[4:].zero_()
                self.head.bias[4:].copy_(torch.tensor(SELECT_START))

    def forward(self, x: torch.Tensor, sources: SourceFeatures, flows: Sequence[WarpField], body: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 6, H, W), with ``select`` (B, 9, H, W) (input colour, C_t, guess); ``sources``
        with (B, S, C, h, w) tensors; S flows of (B, H, W); ``body`` (B, H, W) bool the target
        body's pixels. Returns colour (B, 3, H, W) and attention (B, 1, H, W)."""
        taps = sources.taps
        assert len(taps) == len(self.fusion), (len(taps), len(self.fusion))
        resized: dict[tuple[int, int], list[WarpField]] = {}  # each flow resized once per feature size

        def fuse(index: int, feature: torch.Tensor) -> torch.Tensor:
            size = tuple(feature.shape[-2:])
            if size not in resized:
                resized[size] = [f if tuple(f.valid.shape[-2:]) == size else f.resize(size) for f in flows]
            return self.fusion[index](feature, taps[index], resized[size])

        features = self.encode(x, fuse)
        if not self.residual and not self.attention_prior:
            return self.decode(features)
        out = self.head_output(features)
        raw, logit = out[:, :3], out[:, 3:4]
        if self.attention_prior:
            # A = sigmoid(logit + logit(feathered silhouette)), the silhouette's alpha clipped to
            # [sigmoid(-prior), sigmoid(prior)]: the target body with its edge row feathered,
            # until the network changes it. A hard silhouette costs about 3 points of the VGG19
            # distance on held-out people (measured).
            limit = torch.sigmoid(torch.tensor(self.attention_prior)).item()
            alpha = feather_silhouette(body[:, None].float()).clamp(1 - limit, limit)
            logit = logit + torch.log(alpha / (1 - alpha)).to(logit.dtype)
        attention = torch.sigmoid(logit)
        if not self.residual:
            return torch.tanh(raw), attention
        # Residual colour: P = tanh(raw + atanh(warped source)) where a source sees the pixel,
        # tanh(raw) elsewhere; so P equals the warped source until the network changes it.
        warped = x[:, :3].float().clamp(-RESIDUAL_LIMIT, RESIDUAL_LIMIT)
        colour = torch.tanh(raw + torch.atanh(warped).to(raw.dtype))
        if not self.select:
            return colour, attention
        logits = torch.cat([out[:, 4:6].float(), torch.zeros_like(out[:, :1], dtype=torch.float32)], dim=1)
        if self.select_prior:  # input where a source sees the body, guess where none does
            seen = torch.stack([f.valid for f in flows], dim=1).any(dim=1) & body
            prior = torch.stack([seen, body & ~seen, torch.zeros_like(body)], dim=1).float() * self.select_prior
            logits = logits + prior
        weight = torch.softmax(logits, dim=1)
        chosen = weight[:, :1] * x[:, :3].float() + weight[:, 1:2] * x[:, 6:9].float() + weight[:, 2:] * colour.float()
        return chosen.to(colour.dtype), attention


# ------------------------------------------------------------------------------ liquid warping block


def _warp_features(features: torch.Tensor, field: WarpField) -> torch.Tensor:
    """``warp`` at the grid's precision at least: bf16 has 8 significant bits, which would move a
    sample by up to half a pixel on a 256-wide map (autocast runs grid_sample in fp32 anyway)."""
    dtype = torch.promote_types(features.dtype, field.grid.dtype)
    return warp(features.to(dtype), field)


class LiquidWarpingBlock(nn.Module):
    """Fuse the warped features of S >= 1 sources into one transfer-stream feature map.

    ``forward(target (B, C, h, w), sources (B, S, C, h', w'), flows: S WarpFields (B, *, *))``:
    source s is warped by ``flows[s]`` (resized to (h, w) when it is another size, see
    ``WarpField.resize``); invalid pixels are zero. Then, by ``mode``:

    - ``"add"`` (ICCV 2019, eq. 4): ``target + sum_s warped_s``.
    - ``"attention"`` (successor-like): a score per source and pixel from a small 1 x 1-conv network
      on ``[target, warped_s]`` (two layers: with one linear layer the target's half of the score
      is the same for every source and cancels in the softmax); invalid pixels get -inf; softmax
      over sources; ``fused = sum_s weight_s * warped_s``, zero where no source is valid. Output
      ``target + fused``, or with ``modulation`` a SPADE-style ``target * (1 + gamma) + beta`` with
      ``(gamma, beta)`` a bias-free 1 x 1 conv of ``fused``, zero-initialised so the block starts
      as the identity and leaves pixels that no source sees unchanged.
    """

    def __init__(self, channels: int, mode: Fusion = "add", modulation: bool = False) -> None:
        super().__init__()
        if mode not in ("add", "attention"):
            raise ValueError(f"mode must be 'add' or 'attention', got {mode!r}")
        if modulation and mode != "attention":
            raise ValueError("modulation needs mode='attention'")
        self.channels, self.mode, self.modulation = channels, mode, modulation
        if mode == "attention":
            hidden = max(8, channels // 4)
            # No bias on the last layer: the softmax over sources ignores a shift common to all of
            # them, so that bias could never learn (its gradient is 0 up to rounding).
            self.score = nn.Sequential(nn.Conv2d(2 * channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, 1, 1, bias=False))
        if modulation:
            self.modulate = nn.Conv2d(channels, 2 * channels, 1, bias=False)
            nn.init.zeros_(self.modulate.weight)

    def forward(self, target: torch.Tensor, sources: torch.Tensor, flows: Sequence[WarpField]) -> torch.Tensor:
        b, c, h, w = target.shape
        s = len(flows)
        assert c == self.channels and sources.shape[:3] == (b, s, c), (tuple(target.shape), tuple(sources.shape), s)
        flows = [f if tuple(f.valid.shape[-2:]) == (h, w) else f.resize((h, w)) for f in flows]
        # All sources in one grid_sample: (B, S, ...) -> (B * S, ...), batch-major like ``sources``.
        if s == 1:
            valid = flows[0].valid[:, None]  # (B, S, h, w)
            warped = _warp_features(sources[:, 0], flows[0])[:, None]
        else:
            grid = torch.stack([f.grid for f in flows], dim=1).flatten(0, 1)
            valid = torch.stack([f.valid for f in flows], dim=1)
            warped = _warp_features(sources.flatten(0, 1), WarpField(grid, valid.flatten(0, 1))).unflatten(0, (b, s))
        if self.mode == "add":
            return target + (warped[:, 0] if s == 1 else warped.sum(1))

        pairs = torch.cat([target[:, None].expand(b, s, c, h, w).to(warped.dtype), warped], dim=2)
        scores = self.score(pairs.flatten(0, 1)).view(b, s, h, w).float()
        # A finite "-inf": a pixel no source sees gets uniform weights instead of NaN, then zero.
        scores = scores.masked_fill(~valid, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=1) * valid
        fused = (weights[:, :, None].to(warped.dtype) * warped).sum(1)
        if not self.modulation:
            return target + fused
        gamma, beta = self.modulate(fused).chunk(2, dim=1)
        return target * (1 + gamma) + beta


# ---------------------------------------------------------------------------------------- generator


@dataclass(frozen=True)
class EncodedSources:
    """What :meth:`LiquidWarpingGenerator.encode_sources` computes once per source set.

    Attributes:
        features: G_SID features, every tensor (B, S, C, h, w).
        foreground: (B, S, 3, H, W) the source images with non-person pixels 0 (G_TSF warps these).
        background: (B, 3, H, W) the background the transfer composites over.
        source_background: (B, S, 3, H, W) G_BG's background of each source.
        source_colour, source_attention: (B, S, 3, H, W), (B, S, 1, H, W) G_SID's decoding, or
            None when encoded with ``decode=False`` (inference needs only the features).
    """

    features: SourceFeatures
    foreground: torch.Tensor
    background: torch.Tensor
    source_background: torch.Tensor
    source_colour: torch.Tensor | None = None
    source_attention: torch.Tensor | None = None


@dataclass(frozen=True)
class GeneratorOutput:
    """One forward pass of the generator.

    Attributes:
        image: (B, 3, H, W) ``attention * colour + (1 - attention) * background``.
        colour: (B, 3, H, W) G_TSF's colour map P in [-1, 1].
        attention: (B, 1, H, W) G_TSF's attention A in [0, 1], the person alpha (1 = person).
        background: (B, 3, H, W) the background composited under the person.
        source_reconstruction: (B, S, 3, H, W) G_SID's reconstruction of each source composited
            over its own G_BG background, or None (sources encoded without decoding).
        source_attention: (B, S, 1, H, W) G_SID's person alpha, or None.
    """

    image: torch.Tensor
    colour: torch.Tensor
    attention: torch.Tensor
    background: torch.Tensor
    source_reconstruction: torch.Tensor | None
    source_attention: torch.Tensor | None


class LiquidWarpingGenerator(nn.Module):
    """G_BG + G_SID + G_TSF with Liquid Warping Blocks (ICCV 2019 fig. 3). The three streams share
    the width arguments but no weights.

    Use :meth:`forward` in training; at inference call :meth:`encode_sources` once per source set
    and :meth:`transfer` per frame, so each frame runs only G_TSF. ``forward`` is exactly the two.
    """

    def __init__(
        self,
        *,
        base_channels: int = 64,
        downsamplings: int = 3,
        residual_blocks: int = 6,
        max_channels: int = 512,
        stem_kernel: int = 7,
        fusion: Fusion = "add",
        modulation: bool = False,
        residual: bool = False,
        attention_prior: float = 0.0,
        fill_unseen: bool = False,
        select: bool = False,
        select_prior: float = 0.0,
    ) -> None:
        super().__init__()
        self.fill_unseen = fill_unseen
        widths = dict(
            base_channels=base_channels,
            downsamplings=downsamplings,
            residual_blocks=residual_blocks,
            max_channels=max_channels,
            stem_kernel=stem_kernel,
        )
        self.background_stream = BackgroundStream(keep_known=residual, **widths)
        self.source_stream = SourceIdentityStream(**widths)
        self.transfer_stream = TransferStream(
            fusion=fusion,
            modulation=modulation,
            residual=residual,
            attention_prior=attention_prior,
            select=select,
            select_prior=select_prior,
            **widths,
        )

    def encode_sources(
        self,
        source_images: torch.Tensor,
        source_masks: torch.Tensor,
        source_maps: torch.Tensor,
        background_input: torch.Tensor | None = None,
        decode: bool = True,
    ) -> EncodedSources:
        """Run G_BG and G_SID on the sources.

        Args:
            source_images: (B, S, 3, H, W) in [-1, 1].
            source_masks: (B, S, H, W) person masks, 1 = person.
            source_maps: (B, S, 3, H, W) the sources' correspondence maps C_s.
            background_input: (B, 4, H, W) G_BG input for the target's background (see
                :func:`~liquidwarp.warping.composite.blank_background`); None: the target composites over source 0's background.
                Each source's own background comes from its image and (undilated) mask.
            decode: also decode G_SID (needed for the reconstruction loss, not for inference).
        """
        b, s, _, h, w = source_images.shape
        assert source_maps.shape == source_images.shape == (b, s, 3, h, w), (source_images.shape, source_maps.shape)
        assert source_masks.shape == (b, s, h, w), source_masks.shape
        images, masks = source_images.flatten(0, 1), source_masks.flatten(0, 1)
        foreground = images * masks[:, None].to(images.dtype)
        source_background = self.background_stream.background(blank_background(images, masks[:, None], margin=0.0))
        if background_input is None:
            background = source_background.unflatten(0, (b, s))[:, 0]
        else:
            assert background_input.shape == (b, 4, h, w), background_input.shape
            background = self.background_stream.background(background_input)
        features = self.source_stream.encode(torch.cat([foreground, source_maps.flatten(0, 1).to(images.dtype)], dim=1))
        colour = attention = None
        if decode:
            colour, attention = self.source_stream.decode(features)
            colour, attention = colour.unflatten(0, (b, s)), attention.unflatten(0, (b, s))
        return EncodedSources(
            features=features.unflatten(b, s),
            foreground=foreground.unflatten(0, (b, s)),
            background=background,
            source_background=source_background.unflatten(0, (b, s)),
            source_colour=colour,
            source_attention=attention,
        )

    def image_input(
        self,
        encoded: EncodedSources,
        target_mask: torch.Tensor,
        flows: Sequence[WarpField],
        regions: Sequence[torch.Tensor] | None = None,
        guess: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, 3, H, W) G_TSF's image input (arguments as in :meth:`transfer`): the mean of the warped
        source foregrounds valid at each pixel, and with ``fill_unseen`` the fill of the target body
        pixels that no source sees."""
        b, s = encoded.foreground.shape[:2]
        h, w = encoded.foreground.shape[-2:]
        assert target_mask.shape == (b, h, w) and target_mask.dtype == torch.bool, (target_mask.shape, target_mask.dtype)
        assert len(flows) == s and all(f.valid.shape == (b, h, w) for f in flows), (len(flows), s)
        warped = torch.stack([warp(encoded.foreground[:, i], f) for i, f in enumerate(flows)], dim=1)
        merged, seen = merge_sources(warped, torch.stack([f.valid for f in flows], dim=1))
        if self.fill_unseen and regions is None:
            merged = fill_unseen_body(merged, seen, target_mask, guess=guess)
        elif self.fill_unseen:
            for k, region in enumerate(regions):
                filled = fill_unseen_body(warped[:, k], flows[k].valid, target_mask, region, guess)
                merged = torch.where((region & ~seen)[:, None], filled, merged)
        return merged

    def transfer(
        self,
        encoded: EncodedSources,
        target_map: torch.Tensor,
        target_mask: torch.Tensor,
        flows: Sequence[WarpField],
        background: torch.Tensor | None = None,
        regions: Sequence[torch.Tensor] | None = None,
        guess: torch.Tensor | None = None,
    ) -> GeneratorOutput:
        """Run G_TSF for one target.

        Args:
            encoded: from :meth:`encode_sources`.
            target_map: (B, 3, H, W) the target's correspondence map C_t.
            target_mask: (B, H, W) bool, the target body's pixels (where C_t is drawn).
            flows: S fields (B, H, W), ``flows[s]`` from the target into source s.
            background: (B, 3, H, W) to composite over instead of ``encoded.background``.
            regions: S masks (B, H, W) of the target pixels each source dresses (appearance
                transfer part by part); with ``fill_unseen`` the unseen pixels of source s's
                region are filled from what source s sees (default: from every source).
            guess: (B, 3, H, W) in [-1, 1], with ``fill_unseen``: a second guess for the unseen
                body pixels (a texture baked from the sources), averaged with the fill.

        G_TSF's image input is the mean, per pixel, of the warped source foregrounds that are valid
        there (``merge_sources``); on target body pixels that no source sees it is 0, or with
        ``fill_unseen`` the push-pull fill (:func:`~liquidwarp.warping.fill.fill_unseen_body`) of the seen ones.
        """
        b, h, w = target_mask.shape
        assert target_map.shape == (b, 3, h, w), target_map.shape
        merged = self.image_input(encoded, target_mask, flows, regions, guess)
        x = torch.cat([merged, target_map.to(merged.dtype)], dim=1)
        if self.transfer_stream.select:  # the guess on the body, the input colour elsewhere (or everywhere without a guess)
            x = torch.cat([x, merged if guess is None else torch.where(target_mask[:, None], guess.to(merged.dtype), merged)], dim=1)
        colour, attention = self.transfer_stream(x, encoded.features, flows, target_mask)
        background = encoded.background if background is None else background
        reconstruction = None
        if encoded.source_colour is not None:
            reconstruction = composite(encoded.source_colour, encoded.source_attention, encoded.source_background)
        return GeneratorOutput(
            image=composite(colour, attention, background),
            colour=colour,
            attention=attention,
            background=background,
            source_reconstruction=reconstruction,
            source_attention=encoded.source_attention,
        )

    def forward(
        self,
        source_images: torch.Tensor,
        source_masks: torch.Tensor,
        source_maps: torch.Tensor,
        target_map: torch.Tensor,
        target_mask: torch.Tensor,
        flows: Sequence[WarpField],
        background_input: torch.Tensor | None = None,
        guess: torch.Tensor | None = None,
    ) -> GeneratorOutput:
        """``transfer(encode_sources(...), target_map, target_mask, flows, guess=guess)``; shapes as there."""
        encoded = self.encode_sources(source_images, source_masks, source_maps, background_input, decode=True)
        return self.transfer(encoded, target_map, target_mask, flows, guess=guess)



# ------------------------------------------------------------------------------------------ presets


@dataclass(frozen=True)
class GeneratorConfig:
    """Widths and fusion of a :class:`LiquidWarpingGenerator`."""

    base_channels: int = 64  # channels after the stem; doubled at each down-sampling
    downsamplings: int = 3  # stride-2 levels
    residual_blocks: int = 6  # blocks in the bottleneck
    max_channels: int = 512  # cap on the doubling
    stem_kernel: int = 7  # size of the first convolution's square kernel
    fusion: Fusion = "add"  # Liquid Warping Block: "add" (ICCV) or "attention" (successor-like)
    modulation: bool = False  # SPADE-style scale/shift after attention fusion
    residual: bool = False  # G_TSF's colour starts from the warped source and G_BG keeps the known pixels (not in the paper)
    attention_prior: float = 0.0  # > 0: G_TSF's attention starts as the target body's feathered silhouette, logit within +-prior (not in the paper)
    fill_unseen: bool = False  # G_TSF's image input on body pixels no source sees: the push-pull fill of the seen ones instead of 0 (not in the paper)
    select: bool = False  # G_TSF also sees the completed texture's guess and picks, per pixel, among its input, the guess and its residual colour (needs residual; not in the paper)
    select_prior: float = 0.0  # > 0: that choice starts as warp's (input where seen, guess where not), logits +prior (needs select; not in the paper)

    def build(self) -> LiquidWarpingGenerator:
        generator = LiquidWarpingGenerator(**asdict(self))
        generator.config = self  # what it was built from (bundles are saved with it)
        return generator


# The ICCV 2019 sizes: 64-128-256-512, 6 residual blocks, InstanceNorm, LWB by addition.
PAPER = GeneratorConfig(base_channels=64, downsamplings=3, residual_blocks=6, max_channels=512, fusion="add")
# For CPU inference: 16-32-64-128, 2 residual blocks; 3.3 GFLOP per 256 x 256 frame of the
# transfer stream (PAPER: 83.3). Timings in the module docstring.
# ``residual``: a network this small, trained for hours on a CPU, cannot learn to copy the warped
# pixels exactly; it starts from them and learns what to change (see TransferStream).
SMALL = GeneratorConfig(base_channels=16, downsamplings=3, residual_blocks=2, max_channels=128, fusion="add", residual=True, attention_prior=6.0)

PRESETS = {"paper": PAPER, "small": SMALL}


def count_parameters(module: nn.Module) -> int:
    """The number of parameters (trainable or not)."""
    return sum(p.numel() for p in module.parameters())


def count_flops(fn: Callable, *args, **kwargs) -> int:
    """FLOPs of one call ``fn(*args, **kwargs)`` as ``torch.utils.flop_counter`` counts them:
    2 per multiply-add of convolutions and matrix products; normalisation, activations and
    grid_sample are not counted."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    return counter.get_total_flops()


def dummy_transfer_inputs(
    generator: LiquidWarpingGenerator,
    image_size: tuple[int, int],
    sources: int = 1,
    batch_size: int = 1,
    random: torch.Generator | None = None,
) -> tuple[EncodedSources, torch.Tensor, torch.Tensor, list[WarpField]]:
    """Random ``(encoded, target_map, target_mask, flows)`` for timing or counting
    :meth:`LiquidWarpingGenerator.transfer` (identity flows, all valid). ``random`` lives on the
    generator's device."""
    h, w = image_size
    device = next(generator.parameters()).device
    images = torch.rand(batch_size, sources, 3, h, w, device=device, generator=random) * 2 - 1
    masks = torch.ones(batch_size, sources, h, w, device=device)
    with torch.no_grad():
        encoded = generator.encode_sources(images, masks, images, decode=False)
    flows = [WarpField.identity(batch_size, image_size, device=device) for _ in range(sources)]
    target_map = torch.rand(batch_size, 3, h, w, device=device, generator=random) * 2 - 1
    return encoded, target_map, torch.ones(batch_size, h, w, dtype=torch.bool, device=device), flows


def transfer_flops(generator: LiquidWarpingGenerator, image_size: tuple[int, int], sources: int = 1) -> int:
    """FLOPs (see :func:`count_flops`) of one frame of :meth:`LiquidWarpingGenerator.transfer`."""
    return count_flops(generator.transfer, *dummy_transfer_inputs(generator, image_size, sources))

