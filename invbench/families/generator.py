"""The ``generator`` family: recover a prompt from which the text-to-image model draws the target.

The harness regenerates from what the inverter recovered: from the hard prompt's *text* (re-
tokenized, as a user would type it) and, when the inverter returned them, from its soft
embeddings. Metrics then compare both images with the target, the recovered text with the hidden
prompt, and the soft embeddings with the model's token table (interpretability).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from invbench.contracts.errors import InvalidInversion, InvbenchError
from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.contracts.text_input import Text, TextInputModel, check_soft_embeddings
from invbench.families.adapter import FamilyAdapter
from invbench.fs.atomic import atomic_write_bytes
from invbench.targets.target_set import TargetItem


class TextInputFamily(FamilyAdapter):
    """What the text-input families (``generator``, ``tts``) share: prompts in, outputs regenerated
    from the hard text and from the soft embeddings, and the vocabulary fields."""

    input_type = Text
    output_field: str  # the target payload field, e.g. "image"

    def validate(self, inversion: Inversion, model: ForwardModel) -> None:
        super().validate(inversion, model)
        if inversion.soft_embeddings is not None:
            check_soft_embeddings(inversion.soft_embeddings, model.input_spec)
        ids = inversion.token_ids
        if ids is not None:
            vocab = model.input_spec.vocab_size
            if not all(isinstance(i, int) and 0 <= i < vocab for i in ids):
                raise InvalidInversion(f"token_ids must be ints in [0, {vocab}), got {ids[:8]}")

    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        if not isinstance(model, TextInputModel):
            raise InvbenchError(
                f"the {self.family} family needs a text-input forward model, got {model.model_id}"
            )
        prompts = [inv.x for inv in inversions]
        hard = model.run(prompts)
        soft = [
            model.run_from_embeddings([inv.soft_embeddings])[0]
            if inv.soft_embeddings is not None
            else None
            for inv in inversions
        ]
        token_ids = [
            list(inv.token_ids) if inv.token_ids is not None else model.tokenize([inv.x.text])[0]
            for inv in inversions
        ]
        n = len(items)
        out = self.output_field
        fields: dict[str, list[Any]] = {
            out: hard,
            f"soft_{out}": soft,
            f"reference_{out}": [item.target[out] for item in items],
            "hypothesis": [p.text for p in prompts],
            "target_text": [item.hidden.get("text") for item in items],
            "soft_embeddings": [inv.soft_embeddings for inv in inversions],
            "token_ids": token_ids,
            # the model's own tensor, not a copy: metrics cache per-table work by identity
            "embedding_table": [model.token_embeddings] * n,
            "prompt_token_mask": [model.prompt_token_mask] * n,
            "token_strings": [model.token_strings] * n,
        }
        outputs = [
            {"prompt": p.text, "tokens": [model.token_strings[i] for i in ids]}
            for p, ids in zip(prompts, token_ids, strict=True)
        ]
        return fields, outputs

    def save_artifacts(self, inversion: Inversion, folder: Path, stem: str) -> dict[str, str]:
        """The prompt (JSON: text and token ids) and, if any, the soft embeddings
        (safetensors, bit-exact)."""
        from safetensors.torch import save

        prompt = folder / f"{stem}.prompt.json"
        record = {"text": inversion.x.text, "token_ids": inversion.token_ids}
        atomic_write_bytes(prompt, (json.dumps(record) + "\n").encode())
        paths = {"prompt": str(prompt)}
        if inversion.soft_embeddings is not None:
            soft = folder / f"{stem}.soft.safetensors"
            tensor = inversion.soft_embeddings.detach().cpu().contiguous()
            atomic_write_bytes(soft, save({"soft_embeddings": tensor}))
            paths["soft_embeddings"] = str(soft)
        return paths


class GeneratorFamily(TextInputFamily):
    family = "generator"
    output_field = "image"
