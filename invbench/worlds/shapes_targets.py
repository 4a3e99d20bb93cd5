"""Moved to :mod:`invbench.targets.builders.captions_mini`; this path is kept for one release.

``python -m invbench.worlds.shapes_targets`` still works and warns; use ``invbench targets build
captions-mini``
or ``python -m invbench.targets.builders.captions_mini``.
"""

import sys
import warnings

from invbench.targets.builders.captions_mini import *  # noqa: F403 - the old public names
from invbench.targets.builders.captions_mini import main

warnings.warn("invbench.worlds.shapes_targets moved to invbench.targets.builders.captions_mini",
              DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    sys.exit(main())
