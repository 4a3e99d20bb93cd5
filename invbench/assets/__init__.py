"""What a suite needs on disk before it can run: model weights, optional backends, judge
weights and prepared target sets; checked offline by ``invbench doctor`` and before
``invbench evaluate`` starts, fetched online by ``invbench prefetch``."""

from invbench.assets.kinds import (
    Asset,
    AssetStatus,
    HubRepo,
    PreparedTargetSet,
    PythonPackage,
    UrlFile,
    WhisperCheckpoint,
)

__all__ = ["Asset", "AssetStatus", "HubRepo", "PreparedTargetSet", "PythonPackage", "UrlFile",
           "WhisperCheckpoint"]
