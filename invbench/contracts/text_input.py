"""The contract for text-input models (text → image, text → audio) and their prompts.

A text-input model is inverted in its own input space: a prompt is a sequence of *content*
token embeddings (the model adds its own special tokens, e.g. MiniLM's ``[CLS]``/``[SEP]``), so
soft-prompt and projected-gradient inverters optimise ``(L, D)`` tensors against
:meth:`ForwardModel.objective` and read hard tokens back through :func:`nearest_tokens` against
the model's ``token_embeddings`` table. Nothing here names a family or a model: ``soft-prompt``
and ``pez`` are written once against this contract and serve every text-input model.
"""

from __future__ import annotations

import weakref
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel


@dataclass(frozen=True)
class TextSpec:
    """What a text-input model accepts: prompts of at most ``max_tokens`` content tokens from a
    ``vocab_size`` × ``embedding_dim`` input table."""

    vocab_size: int
    embedding_dim: int
    max_tokens: int


@dataclass
class Text:
    """A hard prompt: the string a user would type (scoring re-tokenizes it)."""

    text: str

    def validate(self, spec: TextSpec) -> None:
        if not isinstance(self.text, str):
            raise InvalidInversion(f"a prompt must be a str, got {type(self.text).__name__}")
        if not self.text.strip():
            raise InvalidInversion("the prompt is empty")


def check_soft_embeddings(soft: Any, spec: TextSpec) -> torch.Tensor:
    """``soft`` as an ``(L, D)`` float tensor, or :class:`InvalidInversion` naming the problem."""
    if not isinstance(soft, torch.Tensor):
        raise InvalidInversion(f"soft embeddings must be a tensor, got {type(soft).__name__}")
    if soft.ndim != 2 or soft.shape[1] != spec.embedding_dim:
        raise InvalidInversion(
            f"soft embeddings have shape {tuple(soft.shape)}, expected (L, {spec.embedding_dim})"
        )
    if not 1 <= soft.shape[0] <= spec.max_tokens:
        raise InvalidInversion(
            f"soft embeddings hold {soft.shape[0]} tokens, expected 1 to {spec.max_tokens}"
        )
    if not soft.is_floating_point():
        raise InvalidInversion(f"soft embeddings must be floating point, got {soft.dtype}")
    if not torch.isfinite(soft).all():
        raise InvalidInversion("soft embeddings contain NaN or infinite values", status="nan")
    return soft


_unit_rows: tuple[weakref.ref, int, torch.Tensor] | None = None


def unit_rows(table: torch.Tensor) -> torch.Tensor:
    """``table`` with unit-norm rows, kept for the last table seen (the same unmodified tensor
    object): projecting every optimisation step would otherwise renormalise 30k rows each time."""
    global _unit_rows
    held = _unit_rows
    if held is not None and held[0]() is table and held[1] == table._version:
        return held[2]
    unit = torch.nn.functional.normalize(table.detach(), dim=-1)
    _unit_rows = (weakref.ref(table), table._version, unit)
    return unit


def nearest_tokens(
    soft: torch.Tensor, table: torch.Tensor, allowed: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``soft`` ``(L, D)``: the id of the most cosine-similar row of ``table``
    ``(V, D)`` among ``allowed`` ids (a ``(V,)`` bool mask), and that cosine. Ties go to the
    lower id. This is the projection every inverter and interpretability metric uses."""
    soft = soft.detach().to(table.dtype)
    cosine = torch.nn.functional.normalize(soft, dim=-1) @ unit_rows(table).T
    if allowed is not None:
        cosine = cosine.masked_fill(~allowed.to(cosine.device)[None], float("-inf"))
    best, ids = cosine.max(dim=-1)
    return ids, best


class TextInputModel(ForwardModel):
    """A forward model whose input is a prompt: ``run`` takes :class:`Text` items,
    ``run_from_embeddings`` takes ``(L, D)`` content-token embeddings, and ``objective`` takes
    a ``(B, L, D)`` tensor of them (differentiable)."""

    input_modality = "text"
    input_spec: TextSpec

    @property
    @abstractmethod
    def token_embeddings(self) -> torch.Tensor:
        """The frozen input table ``(vocab_size, embedding_dim)``."""

    @property
    @abstractmethod
    def prompt_token_mask(self) -> torch.Tensor:
        """``(vocab_size,)`` bool: ids a prompt may contain (not special or unused tokens)."""

    @property
    @abstractmethod
    def token_strings(self) -> list[str]:
        """The vocabulary as strings, by id (what token-validity metrics read)."""

    @abstractmethod
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids of each text (no special tokens)."""

    @abstractmethod
    def detokenize(self, ids: Sequence[int]) -> str:
        """The text of content token ids (WordPiece continuations joined)."""

    def embed(self, ids: Sequence[int]) -> torch.Tensor:
        """Rows of the input table for ``ids``: ``(L, D)``."""
        table = self.token_embeddings
        return table[torch.as_tensor(list(ids), dtype=torch.long, device=table.device)]

    def check_objective_input(self, x: object, targets: Sequence[object], options: dict,
                              what: str, finite: bool = False) -> None:
        """Raise a one-line ``InvbenchError`` unless ``x`` is a ``(B, L, D)`` tensor of soft
        prompts (1 to ``max_tokens`` tokens, one per target) and no options were given;
        ``finite`` also refuses non-finite or non-float values. ``what`` names the model."""
        if options:
            raise InvbenchError(f"{what}'s objective has no options, got {sorted(options)}")
        spec = self.input_spec
        if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[2] != spec.embedding_dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise InvbenchError(
                f"objective expects (B, L, {spec.embedding_dim}) soft prompts, got {shape}")
        if not 1 <= x.shape[1] <= spec.max_tokens:
            raise InvbenchError(
                f"objective expects 1 to {spec.max_tokens} tokens per prompt, got {x.shape[1]}")
        if x.shape[0] != len(targets):
            raise InvbenchError(f"objective got {x.shape[0]} prompts for {len(targets)} targets")
        if finite and (not x.is_floating_point() or not torch.isfinite(x.detach()).all()):
            raise InvbenchError("objective soft prompts must be finite floating-point values")

    def run_from_embeddings(self, prompts: Sequence[torch.Tensor]) -> list[Any]:
        """Outputs for soft prompts (each ``(L, D)``), without gradients."""
        with torch.no_grad():
            outputs = self._run_from_embeddings(prompts)
        self.calls.forward += len(prompts)
        return outputs

    @abstractmethod
    def _run_from_embeddings(self, prompts: Sequence[torch.Tensor]) -> list[Any]: ...
