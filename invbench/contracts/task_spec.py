"""Task metadata: a pydantic model read from YAML (``tasks/<family>/<name>-v<N>.yaml``).

A published task is never edited in place: a fix is a new file with a new ``version``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from invbench.contracts.inversion import Budget

# A family is a name in the family registry (built-ins: captioner, generator, asr, tts; plug-ins
# arrive through the ``invbench.families`` entry points). The spec checks only its form; the harness
# resolves it, with "did you mean", before any compute.
Family = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
Axis = Literal["alignment", "quality", "interpretability"]


class ModelRef(BaseModel):
    """A registered forward model or judge, with the options it is built with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    options: dict[str, Any] = Field(default_factory=dict)


class PreparedFrom(BaseModel):
    """How ``invbench prepare`` renders a target set from a shipped text set with a real model.

    ``layout: hidden-text`` makes the rendering the target and hides the text (generator, tts);
    ``hidden-media`` keeps the text as the target and hides the rendering as its reference
    (captioner). ``pool_options`` (model options, e.g. another seed) also renders a pool of
    non-target references for set-level metrics (FID/KID).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: TargetSetRef
    render_with: ModelRef
    layout: Literal["hidden-text", "hidden-media"]
    pool_options: dict[str, Any] | None = None


class TargetSetRef(BaseModel):
    """A pinned target set: its name, version and the content hash it must have.

    A set rendered on the user's machine by the real models (``prepared_by`` names the command,
    e.g. ``invbench prepare --suite paper``) cannot be pinned in advance: GPU kernels and library
    versions change its bytes. Its ``content_sha256`` is left out; the hash it was frozen with is
    read from its manifest, verified file by file, and recorded with every result, so
    ``invbench compare`` refuses rows from differently prepared sets.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    content_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    prepared_by: str | None = None
    prepare: PreparedFrom | None = None

    @model_validator(mode="after")
    def _pinned_unless_prepared(self) -> TargetSetRef:
        if self.content_sha256 is None and self.prepared_by is None:
            raise ValueError("content_sha256 is required unless the set is prepared locally "
                             "(prepared_by)")
        return self


class MetricRef(BaseModel):
    """A metric as a task uses it: registered ``id``, constructor ``options``, and optionally
    which scoring fields it reads (``fields``: metric field -> scoring field) and a ``prefix``
    for its output names. E.g. the transfer score reads the judge captioner's caption::

        {id: exact_match, prefix: transfer_, fields: {hypothesis: transfer_hypothesis}}
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    options: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    prefix: str = Field("", pattern=r"^([a-z0-9]+_)?$")


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_-]+/[a-z0-9_-]+$")
    version: int = Field(ge=1)
    family: Family
    suite: str
    description: str
    forward_model: ModelRef
    judges: dict[str, ModelRef] = Field(default_factory=dict)
    targets: TargetSetRef
    metrics: list[str | MetricRef] = Field(min_length=1)
    main_scores: dict[Axis, str]
    budget: Budget = Field(default_factory=Budget)
    default_limit: int | None = Field(None, ge=1)
    default_seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    default_batch_size: int = Field(1, ge=1)

    @property
    def metric_refs(self) -> list[MetricRef]:
        """Every metric entry as a :class:`MetricRef` (a bare name means default options)."""
        return [MetricRef(id=m) if isinstance(m, str) else m for m in self.metrics]

    @property
    def key(self) -> str:
        """``name@version``: how results and the CLI pin a task."""
        return f"{self.name}@{self.version}"


PreparedFrom.model_rebuild()
TargetSetRef.model_rebuild()
