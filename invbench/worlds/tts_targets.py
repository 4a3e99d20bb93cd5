"""Moved to :mod:`invbench.targets.builders.clips_mini`; this path is kept for one release.

``python -m invbench.worlds.tts_targets`` still works and warns; use ``invbench targets build
clips-mini``
or ``python -m invbench.targets.builders.clips_mini``.
"""

import sys
import warnings

from invbench.targets.builders.clips_mini import *  # noqa: F403 - the old public names
from invbench.targets.builders.clips_mini import main

warnings.warn("invbench.worlds.tts_targets moved to invbench.targets.builders.clips_mini",
              DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    sys.exit(main())
