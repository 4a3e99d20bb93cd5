"""The ``captioner`` family: recover an image the captioner describes as the target caption."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from invbench.contracts.forward_model import ForwardModel
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Image
from invbench.families.adapter import FamilyAdapter
from invbench.fs.atomic import atomic_write_bytes
from invbench.fs.png import png_from_pixels
from invbench.targets.target_set import TargetItem


class CaptionerFamily(FamilyAdapter):
    family = "captioner"
    input_type = Image
    carrier_field = "image"
    judge_fields = {"transfer": "transfer_hypothesis"}

    def scoring_fields(
        self, model: ForwardModel, items: Sequence[TargetItem], inversions: Sequence[Inversion]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        images = [inv.x for inv in inversions]
        captions = model.run(images)
        fields: dict[str, list[Any]] = {
            "hypothesis": captions,
            "target_text": [item.target["text"] for item in items],
            "image": images,
            "reference_image": [item.hidden.get("image") for item in items],
            "carrier_image": [inv.carrier for inv in inversions],
        }
        outputs: list[dict[str, Any]] = [{"caption": c} for c in captions]
        self.add_transfer(images, fields, outputs, "transfer_caption")
        return fields, outputs

    def save_artifacts(self, inversion: Inversion, folder: Path, stem: str) -> dict[str, str]:
        from safetensors.torch import save

        png = folder / f"{stem}.png"
        atomic_write_bytes(png, png_from_pixels(inversion.x.pixels))  # for viewing
        exact = folder / f"{stem}.safetensors"  # the float pixels that were scored, bit-exact
        atomic_write_bytes(exact, save({"pixels": inversion.x.pixels.detach().cpu().contiguous()}))
        return {"image": str(png), "pixels": str(exact)}
