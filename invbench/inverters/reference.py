"""``reference``: returns the natural reference rendering — the upper bracket of naturalness.

An oracle: it reads the hidden reference field, which no ordinary inverter is given.
"""

from __future__ import annotations

from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter


class Reference(BaseInverter):
    name = "reference"
    version = "1"
    families = ("asr",)
    oracle = True
    description = "Oracle bracket: the target's natural reference rendering"

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        assert problem.hidden is not None, "the runner hands hidden fields to oracle inverters"
        return [Inversion(x=hidden["audio"]) for hidden in problem.hidden]
