r"""Cross-modal consistency: two towers into one space, and the one score defined on it.

A :class:`ConsistencyModel` maps media (a batch of images or of waveforms) and text into a
shared embedding space, as CLIP does for images (Radford et al. 2021) and SpeechCLIP for speech
(Shih et al. 2022). Its media tower is differentiable with respect to the media, and its text
tower can read *token embeddings* as well as strings. So a soft prompt of the generator or TTS
families can be scored, and optimised, without being rounded to tokens first.

**One definition, used everywhere.** The score, the number reported, and the loss an inverter or
a recipe minimises are all this module's functions. Inverters, metrics and recipes import them
from here, so no two places compute "consistency" differently.

- :func:`consistency`: the cosine of the two embeddings, per row,

  .. math:: c(m, t) = \frac{\langle m, t\rangle}{\lVert m\rVert\,\lVert t\rVert} \in [-1, 1].

- :func:`clip_score_form`: the CLIPScore form used for reporting (Hessel et al. 2021),
  :math:`w \cdot \max(c, 0)`.
- :func:`consistency_loss` with ``kind="cosine"``: :math:`1 - c`, per row. Its value is
  exactly ``1 - consistency(...)``, so the metric and the loss are one function.
- :func:`consistency_loss` with ``kind="infonce"``: the symmetric in-batch InfoNCE of CLIP's
  training (van den Oord et al. 2018). With logits :math:`L_{ij} = c(m_i, t_j) / \tau`, row
  :math:`i`'s loss is
  :math:`\tfrac12\big(-\log\operatorname{softmax}_j L_{ij}\big|_{j=i}
  - \log\operatorname{softmax}_j L_{ji}\big|_{j=i}\big)`.
  Unlike the cosine, it depends on the other rows of the batch. That is its purpose: it pushes
  mismatched pairs apart.

Example:
    >>> import torch
    >>> m = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    >>> t = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    >>> consistency(m, t).tolist()
    [1.0, 0.7071067690849304]
    >>> clip_score_form(consistency(m, t), w=2.5).tolist()
    [2.5, 1.7677669525146484]
    >>> consistency_loss(m, t).tolist()
    [0.0, 0.2928932309150696]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor

LossKind = Literal["cosine", "infonce"]
DEFAULT_TEMPERATURE = 0.07  # CLIP's initial temperature; a model's own is in its describe()


@runtime_checkable
class ConsistencyModel(Protocol):
    """Two towers into one space of ``embedding_dim`` dimensions (see the module docstring).

    ``media_kind`` is ``"image"`` (``embed_media`` takes pixels ``(B, 3, H, W)`` in [0, 1]) or
    ``"audio"`` (waveforms ``(B, T)`` at ``sample_rate``, zero-padded, with ``lengths`` ``(B,)``
    in samples). Every method returns one row a batch item. A row never depends on the other
    items of its batch, so batch size changes no score. ``describe()`` names the weights
    (``weights_sha256``, and ``text_weights_sha256`` for the text tower).
    """

    name: str
    media_kind: str
    embedding_dim: int

    def embed_media(self, media: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Embeddings ``(B, embedding_dim)``, differentiable with respect to ``media``."""
        ...

    def embed_text(self, texts: Sequence[str]) -> Tensor:
        """Embeddings ``(B, embedding_dim)`` of strings, tokenised by the model's own tokenizer."""
        ...

    def embed_text_embeddings(self, soft: Tensor, mask: Tensor) -> Tensor:
        """Embeddings ``(B, embedding_dim)`` of content-token embeddings ``soft`` ``(B, L, D)``
        (rows of the text tower's input table, or anything in that space) with ``mask``
        ``(B, L)`` marking real rows; differentiable with respect to ``soft``. The model adds
        its own framing (special tokens), so the rows of a text's tokens give that text's
        embedding."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name, architecture and the sha256 of the weights of both towers."""
        ...


def _pair(media_emb: Tensor, text_emb: Tensor) -> tuple[Tensor, Tensor]:
    if media_emb.ndim != 2 or text_emb.ndim != 2 or media_emb.shape != text_emb.shape:
        raise ValueError(f"consistency needs two (B, d) embedding batches of one shape, got "
                         f"{tuple(media_emb.shape)} and {tuple(text_emb.shape)}")
    return media_emb, text_emb.to(media_emb.dtype)


def consistency(media_emb: Tensor, text_emb: Tensor) -> Tensor:
    """Cosine of each media row with the text row beside it, ``(B,)``, differentiable."""
    m, t = _pair(media_emb, text_emb)
    return F.cosine_similarity(m, t, dim=-1, eps=1e-12)


def clip_score_form(cosine: Tensor, w: float = 100.0) -> Tensor:
    """``w * max(cos, 0)``, the CLIPScore form (Hessel et al. use w = 2.5; torchmetrics 100)."""
    return w * cosine.clamp(min=0.0)


def consistency_loss(media_emb: Tensor, text_emb: Tensor, kind: LossKind = "cosine",
                     temperature: float = DEFAULT_TEMPERATURE) -> Tensor:
    """Per-row loss ``(B,)``: ``1 - consistency`` (``cosine``) or the symmetric in-batch
    InfoNCE at ``temperature`` (``infonce``; the module docstring gives both formulas)."""
    if kind == "cosine":
        return 1.0 - consistency(media_emb, text_emb)
    if kind != "infonce":
        raise ValueError(f"consistency_loss kind must be 'cosine' or 'infonce', got {kind!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    m, t = _pair(media_emb, text_emb)
    logits = F.normalize(m, dim=-1, eps=1e-12) @ F.normalize(t, dim=-1, eps=1e-12).T
    logits = logits / temperature
    matched = torch.arange(len(logits), device=logits.device)
    media_to_text = F.cross_entropy(logits, matched, reduction="none")
    text_to_media = F.cross_entropy(logits.T, matched, reduction="none")
    return 0.5 * (media_to_text + text_to_media)
