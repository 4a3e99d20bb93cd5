"""Moved to :mod:`invbench.targets.builders.paper_texts`; this path is kept for one release.

``python -m invbench.worlds.paper_texts`` still works and warns; use ``invbench targets build
captions-paper``
or ``python -m invbench.targets.builders.paper_texts``.
"""

import sys
import warnings

from invbench.targets.builders.paper_texts import *  # noqa: F403 - the old public names
from invbench.targets.builders.paper_texts import main

warnings.warn("invbench.worlds.paper_texts moved to invbench.targets.builders.paper_texts",
              DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    sys.exit(main())
