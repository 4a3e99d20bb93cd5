"""``reference``: returns the natural reference rendering — the upper bracket of naturalness.

An oracle: it reads the hidden reference field, which no ordinary inverter is given. Each family
stores its rendering under its own hidden field name.
"""

from __future__ import annotations

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter

# family -> the hidden field that holds the target's natural rendering
REFERENCE_FIELD = {"asr": "audio", "captioner": "image"}


class Reference(BaseInverter):
    name = "reference"
    version = "1"
    families = tuple(REFERENCE_FIELD)
    oracle = True
    description = "Oracle bracket: the target's natural reference rendering"

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        assert problem.hidden is not None, "the runner hands hidden fields to oracle inverters"
        name = REFERENCE_FIELD[problem.family]
        return [Inversion(x=hidden[name]) for hidden in problem.hidden]
