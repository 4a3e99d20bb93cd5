"""``invbench`` with the tiny Chatterbox's two changes active (:mod:`chatterbox_tiny`: the
two-layer T3 backbone its folder was built with, and the capped sampling loop), for the lane's
end-to-end runs in a subprocess: ``python tiny_chatterbox_cli.py evaluate ...``. Everything
else is the real command line."""

import sys

from chatterbox_tiny import capped_sampling, tiny_t3

from invbench.cli.main import main

if __name__ == "__main__":
    with tiny_t3(), capped_sampling():
        main(sys.argv[1:])
