"""The lines of a run's ``records.jsonl``, typed.

Two kinds of line: a :class:`Record` per evaluated item (one task, inverter, config hash,
target and seed) and a :class:`SetReference` per task and set-level metric (the reference
pool's features FID/KID are computed against). A line is a ``SetReference`` exactly when its
``kind`` is ``"set_reference"``. Both carry ``schema``; schema 1 is every record written so
far (fields added later, such as ``inverter_access`` and ``inverter_info``, have defaults, so
older lines still validate). ``invbench schema record`` prints the JSON Schema.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from invbench.fs.typed_json import Versioned, validate_as
from invbench.store.features import decode_features

RECORD_SCHEMA = 1
REFERENCE_KIND = "set_reference"

# ok: scored within budget; error / timeout / nan: why the item has no scores; over_budget: the
# inverter spent more steps or model passes than the task allows (scores kept, never ranked)
Status = Literal["ok", "error", "timeout", "nan", "over_budget"]
Access = Literal["white-box", "query-only"]


class Cost(BaseModel):
    """What an item cost, per item (a batch's totals divided by its size)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float | None]  # further counters must be numbers

    seconds: float = Field(description="Wall-clock seconds of the inverter call.")
    forward_calls: float = Field(description="Forward-model calls.")
    backward_calls: float = Field(description="Backward passes through the forward model.")
    steps: int = Field(description="Optimisation steps the inverter reports.")
    loss_first: float | None = Field(None, description="First loss of the trace (if any).")
    loss_last: float | None = Field(None, description="Last loss of the trace (if any).")


class SetMetricRef(BaseModel):
    """The set-level metric an output comes from, as the task names it."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="Registered metric id, e.g. fid_kid.")
    options: dict[str, Any] = Field(default_factory=dict, description="Constructor options.")


class OutputInfo(BaseModel):
    """What one metric output means: recorded with every item, so a table needs no metric."""

    model_config = ConfigDict(extra="allow")

    signature: str = Field(description="The metric's signature: changes when its numbers do.")
    higher_is_better: bool | None = Field(None, description="Direction (None: unknown).")
    range: tuple[float | None, float | None] = Field(
        (None, None), description="[low, high] of possible values; null is unbounded.")
    set_metric: SetMetricRef | None = Field(
        None, description="For set-level outputs (FID, KID): the metric that computes them "
                          "from the items' stored features.")


class Record(Versioned):
    """One evaluated item: task, inverter (name, version, config hash), target and seed."""

    SCHEMA = RECORD_SCHEMA

    kind: Literal["item"] = Field("item", description="Always 'item' (absent in old files).")
    key: str = Field(description="task@version|inverter|config_hash|target_id|seed.")
    run_id: str = Field(description="The run folder's name.")
    task: str = Field(description="Task name, family/name.")
    task_version: int = Field(description="Task version (a changed task is a new version).")
    family: str = Field(description="Task family, e.g. asr, captioner.")
    suite: str = Field(description="The task's suite, e.g. mini.")
    target_set: str = Field(description="name@version of the target set.")
    target_set_sha256: str = Field(description="Content hash of the target set.")
    inverter: str = Field(description="Registered inverter name.")
    inverter_version: str = Field(description="The inverter's own version string.")
    inverter_config_hash: str = Field(description="Short hash of (name, version, config).")
    inverter_config: dict[str, Any] = Field(description="The settings the hash covers.")
    inverter_access: Access = Field(
        "white-box", description="white-box (gradients through the objective) or query-only.")
    inverter_info: dict[str, Any] = Field(
        default_factory=dict, description="The inverter's own diagnostics (Inversion.info).")
    oracle: bool = Field(description="The inverter saw hidden reference fields.")
    seed: int = Field(description="The item's seed.")
    target_id: str = Field(description="The target's id in the target set.")
    status: Status = Field(
        description="ok; error, timeout or nan: why the item has no scores; over_budget: the "
                    "inverter spent more steps or model passes than the task's budget allows "
                    "(its scores are kept to inspect, never ranked).")
    message: str | None = Field(None, description="Why the item is not ok (one line).")
    scores: dict[str, float] = Field(
        description="Per-item metric outputs of an ok (or over_budget) item.")
    metric_errors: dict[str, str] = Field(
        default_factory=dict, description="Metrics that could not score this item, and why.")
    outputs: dict[str, OutputInfo] = Field(description="Every output the task's metrics give.")
    main_scores: dict[str, str] = Field(description="axis -> output name.")
    cost: Cost = Field(description="What the item cost.")
    artifacts: dict[str, str] = Field(
        default_factory=dict, description="Saved files, relative to the run folder.")
    model_output: dict[str, Any] = Field(
        default_factory=dict, description="What the forward model made of the inversion.")
    set_features: dict[str, str] = Field(
        default_factory=dict, description="Set metric -> this item's features (base64 float32).")
    time: str = Field(description="When the record was written (ISO 8601, UTC).")


class SetReference(Versioned):
    """The reference pool's features of one task for one set-level metric and signature."""

    SCHEMA = RECORD_SCHEMA

    kind: Literal["set_reference"] = Field(description="Marks this kind of line.")
    key: str = Field(description="task@version|set_reference|metric|signature.")
    task: str = Field(description="Task name, family/name.")
    task_version: int = Field(description="Task version.")
    metric: str = Field(description="The set-level metric's name, e.g. fid_kid.")
    signature: str = Field(description="The metric's signature.")
    target_set: str = Field(description="name@version of the target set.")
    target_set_sha256: str = Field(description="Content hash of the target set.")
    status: Literal["ok", "error"] = Field(description="ok, or why there are no features.")
    message: str | None = Field(None, description="Why the status is error (one line).")
    time: str = Field(description="When the record was written (ISO 8601, UTC).")
    count: int | None = Field(None, description="Pool items (ok records).")
    dim: int | None = Field(None, description="Feature dimension (ok records).")
    features: str | None = Field(None, description="Pool features, base64 float32 (ok records).")

    @model_validator(mode="after")
    def _ok_has_features(self) -> SetReference:
        if self.status == "ok" and (self.count is None or self.dim is None or not self.features):
            raise ValueError("an ok set_reference needs count, dim and features")
        return self

    def pool_features(self) -> np.ndarray:
        """The ``(count, dim)`` features (an ok record's)."""
        return decode_features(self.features or "", self.dim)


StoredRecord = Record | SetReference


def parse_record(data: Any, where: str) -> StoredRecord:
    """One decoded JSON line as its model; a problem is one line starting with ``where``."""
    is_reference = isinstance(data, Mapping) and data.get("kind") == REFERENCE_KIND
    return validate_as(SetReference if is_reference else Record, data, where)


def as_records(records: Any) -> list[StoredRecord]:
    """Typed records from typed ones or from mappings (e.g. hand-built), validated."""
    typed = []
    for n, record in enumerate(records):
        if isinstance(record, (Record, SetReference)):
            typed.append(record)
        else:
            key = record.get("key") if isinstance(record, Mapping) else None
            typed.append(parse_record(record, f"record {key!r}" if key else f"record #{n + 1}"))
    return typed


def record_json(record: StoredRecord) -> dict[str, Any]:
    """The JSON object a record is stored as. Strict JSON has no infinities, so a score of
    +inf (PSNR of identical images) is stored as the string ``"inf"``, which reads back as the
    float (every score is typed float); NaN never reaches a record (the metric contract)."""
    return _strict_json(record.model_dump(mode="json", by_alias=True))


def _strict_json(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "inf", "-inf" or "nan"
    if isinstance(value, dict):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict_json(item) for item in value]
    return value
