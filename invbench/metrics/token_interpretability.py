r"""Interpretability of a recovered prompt: how close soft embeddings sit to real tokens, and how
many of the hard prompt's tokens are whole dictionary words.

**Nearest-token cosine.** For soft embeddings :math:`s_1, \dots, s_L` (rows of an ``(L, D)``
tensor) and the forward model's input table :math:`T` restricted to the ids a prompt may contain
(``prompt_token_mask``: no special or ``[unusedN]`` tokens), with the projection every inverter
uses (:func:`invbench.contracts.text_input.nearest_tokens`),

.. math::
    \mathrm{NTC} = \frac{1}{L} \sum_{i=1}^{L} \max_{v \,\mathrm{allowed}}
    \frac{s_i \cdot T_v}{\lVert s_i \rVert \, \lVert T_v \rVert}

in [-1, 1], higher is better: a soft prompt whose rows are token embeddings scores 1 (cosines
are computed in the table's dtype and clamped to [-1, 1] against round-off; the mean in float64).

**Random-token control** (``random_token_cosine``): the same statistic for :math:`L` random
vectors :math:`r_i \sim \mathcal{N}(\mu, \operatorname{diag}\sigma^2)`, where :math:`\mu` and
:math:`\sigma` are the per-dimension mean and standard deviation (``ddof=0``) of the allowed rows
of :math:`T`. The vectors come from a ``torch.Generator`` seeded by the metric's ``seed`` and
:math:`L` only, so the control never depends on the batch, the item or the soft values: it says
how high NTC is by chance in this table at this length, and a soft prompt near it lies no closer
to real tokens than noise shaped like the table.

**Token validity.** For hard token ids :math:`t_1, \dots, t_n` with vocabulary strings
:math:`w(t)`,

.. math::
    \mathrm{TV} = \frac{1}{n} \bigl|\{i : w(t_i)\ \text{is ASCII and alphabetic, does not
    start with } \#\#,\ \text{and } t_i\ \text{is allowed}\}\bigr|

in [0, 1], higher is better: WordPiece continuations (``##ing``), numbers, punctuation,
non-ASCII pieces (``café``) and special or unused tokens never count as words.

Items without soft embeddings are not scored by the nearest-token metric (``{}``).

Example:
    >>> import torch
    >>> from invbench.metrics.token_interpretability import NearestTokenCosine, TokenValidity
    >>> table = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.5]])
    >>> allowed = torch.tensor([True, True, False, True])  # id 2 is a special token
    >>> soft = torch.tensor([[2.0, 0.0], [1.0, 1.0]])  # cosines 1 (id 0) and 0.7071 (id 0)
    >>> scores = NearestTokenCosine().score_item(
    ...     soft_embeddings=soft, embedding_table=table, prompt_token_mask=allowed)
    >>> round(scores["nearest_token_cosine"], 4)
    0.8536
    >>> -1.0 <= scores["random_token_cosine"] <= 1.0
    True
    >>> strings = ["[PAD]", "[unused0]", "red", "##ish", "42", "café", "circle"]
    >>> mask = torch.tensor([False, False, True, True, True, True, True])
    >>> TokenValidity().score_item(  # red, circle: words; ##ish, 42: not
    ...     token_ids=[2, 3, 6, 4], token_strings=strings, prompt_token_mask=mask)
    {'token_validity': 0.5}
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from invbench.contracts.metric import Metric, MetricInputError, MetricOutput
from invbench.contracts.text_input import nearest_tokens

CONTROL = "gaussian-fit-to-allowed-rows"


def _checked_table(table: Any) -> torch.Tensor:
    if not isinstance(table, torch.Tensor):
        raise MetricInputError(f"embedding_table must be a tensor, got {type(table).__name__}")
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] == 0:
        raise MetricInputError(f"embedding_table has shape {tuple(table.shape)}, expected (V, D)")
    if not table.is_floating_point():
        raise MetricInputError(f"embedding_table must be floating point, got {table.dtype}")
    return table.detach()


def _checked_mask(mask: Any, size: int) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor):
        raise MetricInputError(f"prompt_token_mask must be a tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool or tuple(mask.shape) != (size,):
        raise MetricInputError(
            f"prompt_token_mask is {mask.dtype} of shape {tuple(mask.shape)}, "
            f"expected torch.bool of shape ({size},)"
        )
    return mask


def _checked_soft(soft: Any, dim: int) -> torch.Tensor:
    if not isinstance(soft, torch.Tensor):
        raise MetricInputError(f"soft_embeddings must be a tensor, got {type(soft).__name__}")
    if soft.ndim != 2 or soft.shape[1] != dim:
        raise MetricInputError(
            f"soft_embeddings has shape {tuple(soft.shape)}, expected (L, {dim}) "
            "(D of embedding_table)"
        )
    if soft.shape[0] == 0:
        raise MetricInputError("soft_embeddings holds no positions (L = 0)")
    if not soft.is_floating_point():
        raise MetricInputError(f"soft_embeddings must be floating point, got {soft.dtype}")
    if not torch.isfinite(soft).all():
        raise MetricInputError("soft_embeddings contains NaN or infinite values")
    return soft.detach()


def control_seed(seed: int, length: int) -> int:
    """The generator seed of the random-token control: a function of ``seed`` and ``L`` only."""
    digest = hashlib.sha256(f"random_token_cosine:{seed}:{length}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def mean_nearest_cosine(vectors: torch.Tensor, table: torch.Tensor, allowed: torch.Tensor) -> float:
    """Mean over the rows of ``vectors`` of the cosine to the nearest allowed row of ``table``."""
    _, cosines = nearest_tokens(vectors.to(table.device), table, allowed)
    return float(cosines.double().clamp(-1.0, 1.0).mean())  # float32 round-off can pass 1


def random_token_cosine(
    table: torch.Tensor, allowed: torch.Tensor, length: int, seed: int = 0
) -> float:
    """The control: :func:`mean_nearest_cosine` of ``length`` Gaussian vectors with the
    per-dimension mean and std (ddof 0) of the allowed rows, drawn from a generator seeded by
    ``seed`` and ``length`` only."""
    table = table.detach()
    rows = table[allowed.to(table.device)].cpu().double()
    mean, std = rows.mean(dim=0), rows.std(dim=0, correction=0)
    generator = torch.Generator().manual_seed(control_seed(seed, length))
    noise = torch.randn(length, rows.shape[1], generator=generator, dtype=torch.float64)
    vectors = (mean + std * noise).to(device=table.device)
    return mean_nearest_cosine(vectors, table, allowed)


class NearestTokenCosine(Metric):
    """Mean cosine of each soft embedding to its nearest allowed token, with a random control."""

    name: ClassVar[str] = "nearest_token_cosine"
    description: ClassVar[str] = (
        "mean cosine of the soft embeddings to their nearest allowed tokens (and a random control)"
    )
    requires: ClassVar[tuple[str, ...]] = (
        "soft_embeddings",
        "embedding_table",
        "prompt_token_mask",
    )
    reference: ClassVar[str] = "torchmetrics"
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "nearest_token_cosine",
            True,
            (-1.0, 1.0),
            "mean over positions of the cosine to the nearest allowed token embedding",
        ),
        MetricOutput(
            "random_token_cosine",
            True,
            (-1.0, 1.0),
            "control: the same statistic for L Gaussian vectors fitted to the allowed rows "
            "(seeded by seed and L); chance level, not a score of the inverter",
        ),
    )

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)
        self._control_for: tuple[Any, ...] | None = None  # (table, mask, their versions)
        self._controls: dict[int, float] = {}  # by L, for that table and mask

    def control(self, table: torch.Tensor, allowed: torch.Tensor, length: int) -> float:
        """:func:`random_token_cosine` for this seed, cached per ``L`` while the table and mask
        are the same unmodified objects (every item of a task shares them; a cached value is the
        value recomputing would give, so caching never changes a score)."""
        key = (table, allowed, table._version, allowed._version)
        held = self._control_for
        if held is None or held[0] is not table or held[1] is not allowed or held[2:] != key[2:]:
            self._control_for, self._controls = key, {}
        if length not in self._controls:
            self._controls[length] = random_token_cosine(table, allowed, length, self.seed)
        return self._controls[length]

    def settings(self) -> dict[str, Any]:
        return {
            "projection": "nearest-allowed-token",
            "similarity": "cosine",
            "seed": self.seed,
            "control": CONTROL,
        }

    def score_item(
        self,
        soft_embeddings: torch.Tensor | None,
        embedding_table: torch.Tensor,
        prompt_token_mask: torch.Tensor,
        **_: Any,
    ) -> dict[str, float]:
        if soft_embeddings is None:
            return {}
        table = _checked_table(embedding_table)
        allowed = _checked_mask(prompt_token_mask, table.shape[0])
        if not bool(allowed.any()):
            raise MetricInputError("prompt_token_mask allows no token")
        soft = _checked_soft(soft_embeddings, table.shape[1])
        return {
            "nearest_token_cosine": mean_nearest_cosine(soft, table, allowed),
            "random_token_cosine": self.control(embedding_table, allowed, soft.shape[0]),
        }


def is_word(token: str) -> bool:
    """Whether a vocabulary string is a whole dictionary-like word: ASCII letters only, and not a
    WordPiece continuation (the prompt mask is checked separately)."""
    return token.isascii() and token.isalpha() and not token.startswith("##")


def _checked_ids(token_ids: Any, size: int) -> list[int]:
    if isinstance(token_ids, torch.Tensor):
        if token_ids.ndim != 1 or token_ids.is_floating_point() or token_ids.dtype == torch.bool:
            raise MetricInputError(
                f"token_ids must be a 1-D integer tensor, got {token_ids.dtype} of shape "
                f"{tuple(token_ids.shape)}"
            )
        token_ids = token_ids.tolist()
    if isinstance(token_ids, str | bytes) or not isinstance(token_ids, Sequence):
        raise MetricInputError(f"token_ids must be a list of ints, got {type(token_ids).__name__}")
    ids = list(token_ids)
    if not ids:
        raise MetricInputError("token_ids is empty; token validity is undefined")
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise MetricInputError(f"token_ids must hold ints, got {type(i).__name__} {i!r}")
        if not 0 <= i < size:
            raise MetricInputError(f"token_ids holds id {i}, outside [0, {size})")
    return [int(i) for i in ids]


class TokenValidity(Metric):
    """Share of the hard prompt's tokens that are whole ASCII words allowed in a prompt."""

    name: ClassVar[str] = "token_validity"
    description: ClassVar[str] = "share of the hard prompt's tokens that are whole ASCII words"
    requires: ClassVar[tuple[str, ...]] = ("token_ids", "token_strings", "prompt_token_mask")
    outputs: ClassVar[tuple[MetricOutput, ...]] = (
        MetricOutput(
            "token_validity",
            True,
            (0.0, 1.0),
            "share of tokens that are ASCII alphabetic, not ## continuations, and allowed",
        ),
    )

    def settings(self) -> dict[str, Any]:
        return {"word": "ascii-alpha", "continuations": "not-words", "mask": "prompt-tokens"}

    def score_item(
        self,
        token_ids: Sequence[int],
        token_strings: Sequence[str],
        prompt_token_mask: torch.Tensor,
        **_: Any,
    ) -> dict[str, float]:
        if isinstance(token_strings, str) or not isinstance(token_strings, Sequence):
            raise MetricInputError(
                f"token_strings must be a list of str, got {type(token_strings).__name__}"
            )
        size = len(token_strings)
        allowed = _checked_mask(prompt_token_mask, size).tolist()
        ids = _checked_ids(token_ids, size)
        words = 0
        for i in ids:
            token = token_strings[i]
            if not isinstance(token, str):
                raise MetricInputError(
                    f"token_strings[{i}] must be a str, got {type(token).__name__}"
                )
            words += allowed[i] and is_word(token)
        return {"token_validity": words / len(ids)}
