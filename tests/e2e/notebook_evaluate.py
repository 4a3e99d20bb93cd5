"""What a notebook does: evaluate a registered inverter, a configured built-in and the notebook's
own inverter object on a task, then look at the tables. Run by test_notebook_api.py as
``python notebook_evaluate.py INCLUDE_PATH RUN_DIR OUT_DIR``."""

import sys
from pathlib import Path

import torch

import invbench
from invbench.inverters.random_search import RandomSearch


class FlatGrey(invbench.BaseInverter):
    """The notebook's own method, never registered: a flat grey image."""

    name = "flat-grey"
    families = ("captioner",)

    def invert(self, problem):
        return [invbench.Inversion(x=invbench.Image(torch.full((3, 64, 64), 0.5)))
                for _ in problem.targets]


include, run, out = (Path(a) for a in sys.argv[1:4])
results = invbench.evaluate(
    tasks="captioner/tiny",
    inverters=["noise", RandomSearch(queries=9), FlatGrey()],
    include_path=include,
    out=run,
    progress=False,
)
assert isinstance(results, invbench.EvaluationResults) and results.run_dir == run
out.mkdir(parents=True, exist_ok=True)
results.leaderboard().to_pickle(out / "leaderboard.pkl")
results.to_pandas().to_pickle(out / "items.pkl")
print(results)
