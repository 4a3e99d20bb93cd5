"""``reference``: returns the natural reference rendering — the upper bracket of naturalness.

An oracle: it reads the hidden reference field, which no ordinary inverter is given. Each family
stores its rendering under its own hidden field name. For a text-input model (``generator``,
``tts``) the reference is the prompt that made the target (hidden ``"text"``): ``x`` is that
text, ``token_ids`` its tokens and ``soft_embeddings`` their own table rows, so the reference's
nearest-token cosine is 1 and its projection gap 0.
"""

from __future__ import annotations

from invbench.contracts.errors import InvbenchError
from invbench.contracts.inversion import Inversion, InversionProblem
from invbench.contracts.inverter import BaseInverter
from invbench.contracts.text_input import Text, TextInputModel

# family -> the hidden field that holds the target's natural rendering
REFERENCE_FIELD = {"asr": "audio", "captioner": "image"}
PROMPT_FIELD = "text"  # the hidden field of a text-input model's target: the prompt that made it


class Reference(BaseInverter):
    name = "reference"
    version = "1"
    families = (*REFERENCE_FIELD, "generator", "tts")
    oracle = True
    description = "Oracle bracket: the target's natural reference rendering"

    def invert(self, problem: InversionProblem) -> list[Inversion]:
        assert problem.hidden is not None, "the harness hands hidden fields to oracle inverters"
        forward = problem.forward
        if isinstance(forward, TextInputModel):
            return [_prompt(forward, hidden[PROMPT_FIELD]) for hidden in problem.hidden]
        name = REFERENCE_FIELD[problem.family]
        if any(name not in hidden for hidden in problem.hidden):  # e.g. asr/paper: text only
            raise InvbenchError(f"task {problem.task}'s targets have no hidden reference "
                                f"{name!r} to hand back")
        return [Inversion(x=hidden[name]) for hidden in problem.hidden]


def _prompt(forward: TextInputModel, text: str) -> Inversion:
    [ids] = forward.tokenize([text])
    return Inversion(
        x=Text(text),
        soft_embeddings=forward.embed(ids).detach().cpu(),
        token_ids=list(ids),
    )
