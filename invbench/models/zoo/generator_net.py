"""The Shapes-world generator network: a text-conditioned rectified flow at 32×32 pixels.

Along the straight path ``x_t = (1 - t)·noise + t·image`` (images scaled to [-1, 1]) the network
predicts the clean image ``x̂(x_t, t, text)``, from which the flow velocity is
``v = (x̂ - x_t) / (1 - t)``; sampling integrates ``dx/dt = v`` with a few Euler steps from a noise
tensor fixed by the seed (the last step lands on ``x̂``), and the 32×32 result is upsampled
(bicubic) to the world's 64×64. Predicting the image rather than the velocity spares the network
from reproducing the input noise, which matters at this size.

It reads frozen all-MiniLM-L6-v2 *token states* (``(B, T, 384)`` last hidden states and their
mask), so a prompt lives in MiniLM's real 30,522-token input space: inverting the generator means
back-propagating through the sampler and through MiniLM into its input embeddings, as inverting
Flux means back-propagating through its sampler into T5/CLIP embeddings.

Layout (cheap on a CPU): the 32×32 image is folded into a 12-channel 16×16 map (pixel unshuffle),
a two-level U-Net (16×16 and 8×8) with learned position embeddings, FiLM-conditioned residual
blocks and cross-attention to the token states at both levels; the time embedding plus the
masked mean of the token states (a pooled text vector, as Flux feeds CLIP's) modulates every
block.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ARCHITECTURE = "shapes-generator-v1"


@dataclass(frozen=True)
class GeneratorConfig:
    """Architecture and sampler hyperparameters (stored in the zoo manifest's ``config``)."""

    resolution: int = 32  # generated size; upsampled to output_size
    output_size: int = 64
    channels: tuple[int, int] = (96, 128)  # at resolution/2 and resolution/4
    text_dim: int = 384
    d_cond: int = 128
    heads: int = 4
    sample_steps: int = 4

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


def timestep_features(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal features of ``t`` in [0, 1], ``(B, dim)``."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, device=t.device) / half)
    angles = 1000.0 * t[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → conv, twice, with a FiLM (scale, shift) from the conditioning vector."""

    def __init__(self, cin: int, cout: int, d_cond: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.film = nn.Linear(d_cond, 2 * cout)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(cond)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class CrossAttention(nn.Module):
    """Every spatial position attends to the (masked) text tokens; residual."""

    def __init__(self, channels: int, d_text: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(8, channels)
        self.q = nn.Linear(channels, channels)
        self.kv = nn.Linear(d_text, 2 * channels)
        self.out = nn.Linear(channels, channels)

    def forward(self, x: Tensor, text: Tensor, mask: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q = self.q(self.norm(x).flatten(2).transpose(1, 2))  # (B, HW, C)
        k, v = self.kv(text).chunk(2, dim=-1)

        def split(t: Tensor) -> Tensor:
            return t.view(b, -1, self.heads, c // self.heads).transpose(1, 2)

        allowed = mask[:, None, None, :].bool()  # (B, 1, 1, T)
        attended = F.scaled_dot_product_attention(split(q), split(k), split(v), attn_mask=allowed)
        attended = attended.transpose(1, 2).reshape(b, h * w, c)
        return x + self.out(attended).transpose(1, 2).view(b, c, h, w)


class GeneratorNet(nn.Module):
    """Clean-image predictor ``x̂(x_t, t, token_states, mask)`` for ``(B, 3, 32, 32)`` inputs."""

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or GeneratorConfig()
        c1, c2 = c.channels
        self.text_in = nn.Sequential(nn.LayerNorm(c.text_dim), nn.Linear(c.text_dim, c.d_cond))
        self.cond = nn.Sequential(
            nn.Linear(c.d_cond + c.d_cond, c.d_cond), nn.SiLU(), nn.Linear(c.d_cond, c.d_cond)
        )
        self.conv_in = nn.Conv2d(12, c1, 3, padding=1)
        # Absolute positions: where an object goes is what the relations in a prompt decide.
        side = c.resolution // 2
        self.pos_high = nn.Parameter(torch.randn(1, c1, side, side) * 0.02)
        self.pos_low = nn.Parameter(torch.randn(1, c2, side // 2, side // 2) * 0.02)
        self.down_block = ResBlock(c1, c1, c.d_cond)
        self.down_attn = CrossAttention(c1, c.d_cond, c.heads)
        self.downsample = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.mid_block1 = ResBlock(c2, c2, c.d_cond)
        self.mid_attn1 = CrossAttention(c2, c.d_cond, c.heads)
        self.mid_block2 = ResBlock(c2, c2, c.d_cond)
        self.mid_attn2 = CrossAttention(c2, c.d_cond, c.heads)
        self.upsample = nn.ConvTranspose2d(c2, c1, 2, stride=2)
        self.up_block = ResBlock(2 * c1, c1, c.d_cond)
        self.up_attn = CrossAttention(c1, c.d_cond, c.heads)
        self.norm_out = nn.GroupNorm(8, c1)
        self.conv_out = nn.Conv2d(c1, 12, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x: Tensor, t: Tensor, states: Tensor, mask: Tensor) -> Tensor:
        text = self.text_in(states)
        weights = mask.unsqueeze(-1).to(text.dtype)
        pooled = (text * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        cond = self.cond(torch.cat([timestep_features(t, self.config.d_cond), pooled], dim=-1))
        h0 = self.conv_in(F.pixel_unshuffle(x, 2)) + self.pos_high
        h1 = self.down_attn(self.down_block(h0, cond), text, mask)
        h = self.downsample(h1) + self.pos_low
        h = self.mid_attn1(self.mid_block1(h, cond), text, mask)
        h = self.mid_attn2(self.mid_block2(h, cond), text, mask)
        h = self.upsample(h)
        h = self.up_attn(self.up_block(torch.cat([h, h1], dim=1), cond), text, mask)
        return F.pixel_shuffle(self.conv_out(F.silu(self.norm_out(h))), 2)


def initial_noise(seed: int, batch: int, resolution: int) -> Tensor:
    """The sampler's starting noise ``(batch, 3, r, r)``, fixed by ``seed`` (same for every
    item of the batch, so an item's image never depends on its batch-mates)."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn((1, 3, resolution, resolution), generator=generator)
    return noise.expand(batch, -1, -1, -1).contiguous()


def sample(net: GeneratorNet, states: Tensor, mask: Tensor, noise: Tensor) -> Tensor:
    """Euler integration of the flow from ``noise``; ``(B, 3, 64, 64)`` pixels in [0, 1].

    Differentiable with respect to ``states`` (and so to whatever produced them).
    """
    steps = net.config.sample_steps
    x = noise.to(states.dtype)
    for i in range(steps):
        t = torch.full((x.shape[0],), i / steps, device=x.device, dtype=x.dtype)
        velocity = (net(x, t, states, mask) - x) / (1 - i / steps)
        x = x + velocity / steps
    size = net.config.output_size
    image = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    return ((image + 1) / 2).clamp(0, 1)
