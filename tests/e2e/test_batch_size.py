"""Batch size never changes a score, end to end."""

from helpers import invbench, records


def test_scores_do_not_depend_on_batch_size(include_path, tmp_path):
    runs = {}
    for size in (1, 3):
        run = tmp_path / f"b{size}"
        invbench("evaluate", "--include-path", str(include_path), "--tasks", "asr/tiny",
                 "--inverters", "reference,noise,waveform-adam,waveform-perturb",
                 "--batch-size", str(size), "--out", str(run), "--no-progress")
        runs[size] = records(run)
    assert runs[1].keys() == runs[3].keys() and len(runs[1]) == 12
    for key, one in runs[1].items():
        three = runs[3][key]
        assert one["status"] == three["status"] == "ok", (key, one["message"], three["message"])
        assert one["scores"].keys() == three["scores"].keys()
        for name, value in one["scores"].items():
            assert abs(value - three["scores"][name]) <= 1e-6, (key, name, value)
