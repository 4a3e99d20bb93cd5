"""The vocabulary half of :class:`~invbench.contracts.text_input.TextInputModel` for mini-zoo
models that read prompts through all-MiniLM-L6-v2's WordPiece table (the generator, the TTS).

A model mixes this in, sets ``self.minilm`` and ``self.input_spec``, and gets the token table,
the mask of tokens a prompt may use, the token strings, tokenization, and the checked
conversion of ``Text`` prompts into embeddings.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from torch import Tensor

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.text_input import Text, TextSpec
from invbench.models.minilm import MiniLM, load_minilm

MAX_PROMPT_TOKENS = 64


class MiniLMPrompts:
    """Mix in before ``TextInputModel`` (which provides ``embed``)."""

    minilm: MiniLM
    input_spec: TextSpec

    def _use_minilm(self, device: object) -> None:
        """Load the shared MiniLM on ``device``; prompts are rows of its table (the spec)."""
        self.minilm = load_minilm(str(device))
        rows, dim = self.minilm.token_embeddings.shape
        self.input_spec = TextSpec(int(rows), int(dim), MAX_PROMPT_TOKENS)

    @property
    def token_embeddings(self) -> Tensor:
        return self.minilm.token_embeddings

    @property
    def prompt_token_mask(self) -> Tensor:
        return _prompt_token_mask(self.minilm.tokenizer)

    @property
    def token_strings(self) -> list[str]:
        return _token_strings(self.minilm.tokenizer)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.minilm.tokenizer(list(texts), add_special_tokens=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.minilm.tokenizer.decode([int(i) for i in ids])

    def prompt_embeddings(self, inputs: Sequence[Text], what: str) -> list[Tensor]:
        """The content-token rows ``(L, D)`` of each prompt, as a user's text tokenizes;
        ``what`` names the model in errors ("the generator")."""
        prompts = []
        for item in inputs:
            if not isinstance(item, Text):
                raise InvalidInversion(f"{what} needs a Text prompt, got {type(item).__name__}")
            item.validate(self.input_spec)
            [ids] = self.tokenize([item.text])
            if not 1 <= len(ids) <= self.input_spec.max_tokens:
                raise InvalidInversion(
                    f"the prompt has {len(ids)} tokens, expected 1 to {self.input_spec.max_tokens}"
                )
            prompts.append(self.embed(ids))  # type: ignore[attr-defined]
        return prompts


@functools.lru_cache(maxsize=4)
def _token_strings(tokenizer) -> list[str]:
    return tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))


@functools.lru_cache(maxsize=4)
def _prompt_token_mask(tokenizer) -> Tensor:
    """Everything but special tokens and the never-trained ``[unusedN]`` slots."""
    import torch

    special = set(tokenizer.all_special_ids)
    strings = _token_strings(tokenizer)
    return torch.tensor(
        [i not in special and not s.startswith("[unused") for i, s in enumerate(strings)]
    )
