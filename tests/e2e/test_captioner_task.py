"""The captioner family end to end on three shipped targets, through the CLI."""

import math

import pandas as pd
from helpers import evaluate_task

INVERTERS = "reference,noise,pixels-adam,pixels-perturb,generator-bridge"


def test_captioner_task_scores_batch_invariant_with_set_metrics(image_include_path, tmp_path):
    one = evaluate_task(image_include_path, "captioner/tiny", INVERTERS, tmp_path / "b1", 1)
    three = evaluate_task(image_include_path, "captioner/tiny", INVERTERS, tmp_path / "b3", 3)
    items = {k: r for k, r in one.items() if r.get("kind") != "set_reference"}
    assert len(items) == 15 and one.keys() == three.keys()
    for key, record in items.items():
        other = three[key]
        assert record["status"] == other["status"] == "ok", (key, record["message"])
        assert record["set_features"] == other["set_features"]
        for name, value in record["scores"].items():
            assert abs(value - other["scores"][name]) <= 1e-6, (key, name)
        assert {"caption", "transfer_caption"} <= set(record["model_output"])
        assert {"image", "pixels"} <= set(record["artifacts"])
        assert (tmp_path / "b1" / record["artifacts"]["image"]).is_file()

    [reference] = [r for r in one.values() if r.get("kind") == "set_reference"]
    assert reference["status"] == "ok" and reference["count"] == 8

    by_inverter = {r["inverter"]: r for r in items.values() if r["target_id"] == "cap-000"}
    ref = by_inverter["reference"]["scores"]
    assert ref["exact_match"] == 1.0 and ref["transfer_exact_match"] == 1.0
    assert ref["ssim"] > 0.999  # the reference render itself (PNG round trip)
    assert by_inverter["noise"]["scores"]["exact_match"] == 0.0
    bridge = by_inverter["generator-bridge"]["scores"]  # the generator drew the caption
    assert bridge["transfer_exact_match"] == 1.0 and bridge["exact_match"] == 1.0

    table = pd.read_csv(tmp_path / "b1" / "leaderboard.csv").set_index("inverter")
    for column in ("fid", "kid", "transfer_exact_match", "clip_score"):
        assert all(math.isfinite(v) for v in table[column]), column
    assert table.loc["reference", "kid"] < table.loc["noise", "kid"]
    assert table.loc["reference", "clip_score"] > table.loc["noise", "clip_score"]
