"""What an optimisation loop records per item, shared by the waveform and pixel loops."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ItemTrace:
    """Steps taken, the model loss at each, whether the item stopped, and its successes."""

    steps: int = 0
    done: bool = False
    losses: list[float] = field(default_factory=list)
    successes: int = 0
    first_success: int | None = None  # 1-based step of the first teacher-forced success
