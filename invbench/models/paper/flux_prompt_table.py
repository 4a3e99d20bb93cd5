"""FLUX.1's joint prompt table: one ``(V, D)`` table for both of its text encoders.

**One prompt, both of Flux's embedding tables.** FLUX.1 reads a prompt twice: T5-XXL token
states condition every transformer block, and CLIP-L's pooled output modulates them. A soft
prompt must therefore drive both encoders, and every inverter (``soft-prompt``, ``pez``,
``random-tokens``, ``reference``) must see one ``(V, D)`` table to project onto. The prompt's
vocabulary is T5's (tokenize / detokenize / token strings are T5's), and ``token_embeddings`` is a
*joint* table ``(V_t5, D_t5 + D_clip)``: row ``t`` = [T5's input row ``t`` | the mean of CLIP's
input rows for CLIP's tokenization of token ``t``'s text]. A soft prompt ``(L, D_t5 + D_clip)``
is split: its T5 half, then ``</s>`` and ``<pad>`` up to ``max_sequence_length``, runs through
the T5 encoder (unmasked, as ``encode_prompt`` does) → token states; its CLIP half, framed by
``<|startoftext|>`` / ``<|endoftext|>`` and padded to 77 as CLIP's tokenizer pads, runs through
the CLIP text model → the pooled output at its end token. At most
``min(max_sequence_length - 1, 75)`` content tokens fit both encoders.

**Exact and approximate.** A hard prompt (:class:`Text`) runs from its string through the
pipeline's own ``encode_prompt`` (both tokenizers on the string). A soft prompt equal to the
joint rows of its T5 tokens gives bit-identical T5 states; its CLIP side is identical only when
CLIP splits the text into exactly one piece per T5 token (mostly whole words). Otherwise CLIP
sees per-T5-token means of its pieces where the hard path sees the pieces themselves, so the
pooled vector, and the image, differ somewhat. Token strings are written in the WordPiece
convention the interpretability metrics read: a word-start piece ``▁cat`` is ``cat``, a
continuation ``ing`` is ``##ing``. Tokens without CLIP pieces (``▁`` alone), special tokens and
the table rows no token uses (T5 v1.1 has 32128 rows for 32100 tokens) are masked out of
``prompt_token_mask``. The two encoders' input rows live on very different scales (in the tiny
test pipeline the coordinates' standard deviations are 1 and 0.017): an Adam step suited to one
half would over- or undershoot the other, and the larger half would dominate the nearest-token
cosine. So each half of the table is divided by the power of two nearest its coordinates'
standard deviation, and multiplied back before its encoder; powers of two make the round trip
exact. ``describe()`` records both scales and the resulting standard deviations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from invbench.models.paper.flux_sampling import t5_embedding


def joint_token_table(pipe: Any) -> tuple[Tensor, Tensor, list[str]]:
    """The joint input table ``(V_t5, D_t5 + D_clip)`` (float32, CPU), the mask of ids a prompt
    may use, and the token strings. Row ``t`` is T5's input row ``t`` beside the mean of CLIP's
    input rows for CLIP's tokenization of token ``t``'s text; special tokens and rows beyond the
    tokenizer get zeros on the CLIP side. Allowed: tokens that are not special, exist in the
    tokenizer and have CLIP pieces. Strings follow the WordPiece convention the interpretability
    metrics read (``▁cat`` → ``cat``, continuation ``ing`` → ``##ing``)."""
    tok5 = pipe.tokenizer_2
    t5_table = t5_embedding(pipe.text_encoder_2).weight.detach().float().cpu()
    clip_table = pipe.text_encoder.get_input_embeddings().weight.detach().float().cpu()
    rows = t5_table.shape[0]
    n = min(len(tok5), rows)
    special = set(tok5.all_special_ids)
    texts = tok5.batch_decode([[i] for i in range(n)])
    texts = ["" if i in special else text for i, text in enumerate(texts)]
    pieces = pipe.tokenizer(texts, add_special_tokens=False)["input_ids"]
    lengths = torch.tensor([len(p) for p in pieces], dtype=torch.long)
    flat = torch.tensor([i for p in pieces for i in p], dtype=torch.long)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    means = torch.nn.functional.embedding_bag(flat, clip_table, offsets, mode="mean")
    clip_half = torch.zeros(rows, clip_table.shape[1])
    clip_half[:n] = means  # an empty bag's mean is zeros
    allowed = torch.zeros(rows, dtype=torch.bool)
    allowed[:n] = (lengths > 0) & torch.tensor([i not in special for i in range(n)])
    strings = [p if i in special or p == "▁" else p[1:] if p.startswith("▁") else f"##{p}"
               for i, p in enumerate(tok5.convert_ids_to_tokens(list(range(n))))]
    strings += [f"<unused_{i}>" for i in range(n, rows)]
    return torch.cat([t5_table, clip_half], dim=1), allowed, strings


def power_of_two_scale(rows: Tensor) -> float:
    """The power of two nearest to the coordinates' standard deviation. Dividing a half of the
    joint table by it (and multiplying back before the encoder) is exact in floating point, so
    the hard-path identities survive, and puts both halves on a unit scale within a factor √2."""
    std = float(rows.float().std())
    return 2.0 ** round(math.log2(std)) if std > 0 else 1.0


@dataclass
class JointPromptTable:
    """The joint table on the model's device, each half divided by its scale, with the mask of
    usable rows (CPU) and the token strings."""

    table: Tensor
    mask: Tensor
    strings: list[str]
    t5_dim: int
    scales: tuple[float, float]

    @classmethod
    def of(cls, pipe: Any, device: torch.device) -> JointPromptTable:
        table, mask, strings = joint_token_table(pipe)
        t5_dim = t5_embedding(pipe.text_encoder_2).weight.shape[1]
        # each half on a unit scale (exactly undone before the encoders): one Adam step size
        # then suits both, and neither half dominates the nearest-token cosine
        scales = (power_of_two_scale(table[mask, :t5_dim]),
                  power_of_two_scale(table[mask, t5_dim:]))
        table[:, :t5_dim] /= scales[0]
        table[:, t5_dim:] /= scales[1]
        return cls(table.to(device), mask, strings, t5_dim, scales)

    def encoder_rows(self, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Joint-table rows ``(..., D)`` as the encoders' own input rows: (T5, CLIP)."""
        return (rows[..., :self.t5_dim] * self.scales[0],
                rows[..., self.t5_dim:] * self.scales[1])

    def describe(self, max_tokens: int) -> dict[str, Any]:
        t5_dim, rows = self.t5_dim, self.table[self.mask.to(self.table.device)]
        return {
            "vocabulary": "T5 (tokenizer_2)", "shape": list(self.table.shape),
            "definition": f"[T5 input row (dims 0..{t5_dim - 1}) | mean of CLIP input rows "
                          "of CLIP's tokenization of the token's text]",
            "soft_path": "T5 half + </s> + <pad> to max_sequence_length -> T5 states; CLIP "
                         "half framed by BOS/EOS, padded to 77 -> CLIP pooled output",
            "hard_path": "FluxPipeline.encode_prompt on the text (both tokenizers)",
            "max_tokens": max_tokens,
            "half_scales": {"t5": self.scales[0], "clip": self.scales[1],
                            "rule": "each half divided by the power of two nearest its "
                                    "coordinates' std; multiplied back before its encoder"},
            "coordinate_std": {"t5": round(float(rows[:, :t5_dim].std()), 6),
                               "clip": round(float(rows[:, t5_dim:].std()), 6)},
        }
