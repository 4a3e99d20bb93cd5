"""``invbench.evaluate`` from a notebook-style script gives the CLI's leaderboard of the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
from helpers import REPO, invbench

from invbench.leaderboard import to_csv

SCRIPT = Path(__file__).with_name("notebook_evaluate.py")


def test_a_notebook_gets_the_leaderboard_the_cli_writes(image_include_path, tmp_path):
    run, out = tmp_path / "run", tmp_path / "api"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(image_include_path), str(run),
                           str(out)], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"EvaluationResults(run_dir='{run}', items=9)" in proc.stdout
    api_table = pd.read_pickle(out / "leaderboard.pkl")

    invbench("leaderboard", str(run), "--csv", str(tmp_path / "cli.csv"))
    cli_text = (tmp_path / "cli.csv").read_text(encoding="utf-8")
    assert to_csv(api_table) == cli_text  # the same table, written the same way, byte for byte
    # and as a DataFrame: text columns read as text, numbers to the CSV's 6 significant digits
    text = [c for c in api_table.columns if pd.api.types.is_string_dtype(api_table[c])]
    cli_table = pd.read_csv(tmp_path / "cli.csv", dtype=dict.fromkeys(text, str))
    pdt.assert_frame_equal(cli_table, api_table, check_dtype=False, rtol=1e-5)

    assert list(api_table["inverter"].sort_values()) == ["flat-grey", "noise", "random-search"]
    access = dict(zip(api_table["inverter"], api_table["access"], strict=True))
    assert access == {"flat-grey": "white-box", "noise": "white-box",
                      "random-search": "query-only"}

    items = pd.read_pickle(out / "items.pkl")
    assert len(items) == 9 and set(items["status"]) == {"ok"}
    assert {"scores.exact_match", "cost.forward_calls", "inverter_access"} <= set(items.columns)
    searched = items[items["inverter"] == "random-search"]
    # it asked for 9 queries; the task's budget (max_steps 5, no forward-call limit) allows 5
    assert (searched["cost.forward_calls"] == 5).all() and (searched["cost.steps"] == 5).all()
    assert (searched["cost.backward_calls"] == 0).all()
