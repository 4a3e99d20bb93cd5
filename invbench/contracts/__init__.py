"""The contracts every other layer builds on. Imports nothing else from invbench."""

from invbench.contracts.consistency import (
    ConsistencyModel,
    clip_score_form,
    consistency,
    consistency_loss,
)
from invbench.contracts.errors import (
    BudgetExhausted,
    InvalidInversion,
    InvbenchError,
    TargetSetError,
    UnknownNameError,
)
from invbench.contracts.forward_model import CallCounter, ForwardModel, ObjectiveResult
from invbench.contracts.inversion import Budget, Inversion, InversionProblem, Target, item_seed
from invbench.contracts.inverter import (
    ACCESS_CLASSES,
    Access,
    BaseInverter,
    Inverter,
    InverterConfig,
    config_hash,
    inverter_access,
)
from invbench.contracts.media import AudioSpec, Image, ImageSpec, Waveform
from invbench.contracts.metric import ItemScores, Metric, MetricInputError, MetricOutput
from invbench.contracts.query_access import QueryOnlyModel
from invbench.contracts.set_metric import ItemFeatures, SetMetric
from invbench.contracts.task_spec import MetricRef, ModelRef, TargetSetRef, TaskSpec
from invbench.contracts.text_input import Text, TextInputModel, TextSpec, nearest_tokens

__all__ = [
    "ACCESS_CLASSES",
    "Access",
    "AudioSpec",
    "BaseInverter",
    "Budget",
    "BudgetExhausted",
    "CallCounter",
    "ConsistencyModel",
    "ForwardModel",
    "Image",
    "ImageSpec",
    "InvalidInversion",
    "Inversion",
    "InversionProblem",
    "Inverter",
    "InverterConfig",
    "InvbenchError",
    "ItemFeatures",
    "ItemScores",
    "Metric",
    "MetricInputError",
    "MetricOutput",
    "MetricRef",
    "ModelRef",
    "ObjectiveResult",
    "QueryOnlyModel",
    "SetMetric",
    "Target",
    "TargetSetError",
    "TargetSetRef",
    "TaskSpec",
    "Text",
    "TextInputModel",
    "TextSpec",
    "UnknownNameError",
    "Waveform",
    "config_hash",
    "inverter_access",
    "item_seed",
    "nearest_tokens",
    "clip_score_form",
    "consistency",
    "consistency_loss",
]
