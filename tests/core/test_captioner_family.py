"""The captioner family adapter: validation of recovered images, carriers, judge sources."""

from __future__ import annotations

import pytest
import torch

from invbench.contracts.errors import InvalidInversion
from invbench.contracts.inversion import Inversion
from invbench.contracts.media import Image, ImageSpec, Waveform
from invbench.families.captioner import CaptionerFamily
from invbench.targets.target_set import TargetItem, TargetSet


class _Model:
    input_spec = ImageSpec(64, 64, 3, (0.0, 1.0))
    model_id = "toy"
    weights_sha256 = "f" * 64


def _image(value=0.5, shape=(3, 64, 64)):
    return Image(torch.full(shape, value))


@pytest.mark.parametrize(
    ("inversion", "status", "message"),
    [
        (Inversion(x=_image(shape=(3, 32, 32))), "error", r"shape \(3, 32, 32\), expected"),
        (Inversion(x=_image(shape=(64, 64, 3))), "error", r"\(C, H, W\)"),
        (Inversion(x=_image(float("nan"))), "nan", "NaN"),
        (Inversion(x=_image(1.5)), "error", r"expected within \[0.0, 1.0\]"),
        (Inversion(x=Image(torch.zeros(3, 64, 64, dtype=torch.uint8))), "error", "floating"),
        (Inversion(x=Waveform(torch.zeros(10), 16000)), "error", "must hold an Image"),
        ("not an inversion", "error", "expected an Inversion"),
    ],
)
def test_bad_images_are_refused_with_a_reason(inversion, status, message):
    with pytest.raises(InvalidInversion, match=message) as info:
        CaptionerFamily().validate(inversion, _Model())
    assert info.value.status == status


def test_a_valid_image_passes():
    CaptionerFamily().validate(Inversion(x=_image()), _Model())


def test_carriers_come_from_other_targets_independent_of_the_subset():
    items = [TargetItem(f"t{i}", {"text": str(i)}, {"image": _image(i / 10)}) for i in range(6)]
    target_set = TargetSet("s", 1, "0" * 64, None, {}, items)
    adapter = CaptionerFamily()
    all_carriers = adapter.carriers(target_set, items)
    assert [float(c.pixels[0, 0, 0]) for c in all_carriers] == pytest.approx(
        [0.3, 0.4, 0.5, 0.0, 0.1, 0.2]
    )
    [one] = adapter.carriers(target_set, items[4:5])
    assert one is all_carriers[4]


def test_transfer_field_names_its_judge():
    adapter = CaptionerFamily({"transfer": _Model()})
    assert adapter.field_sources() == {"transfer_hypothesis": "toy@ffffffffffff"}
    assert CaptionerFamily().field_sources() == {}
