"""`invbench leaderboard` and `invbench compare` on run folders, through the real CLI entry."""

import pytest

from invbench.cli.main import main
from invbench.store.run_store import RunStore


def _write_run(path, records):
    store = RunStore(path)
    store.create()
    for record in records:
        store.append(record)
    return path


def _exit_code(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def _scores(exact, n=30, dnsmos=2.5):
    return [{"exact_match": float(i < exact), "dnsmos_ovrl": dnsmos + 0.01 * i} for i in range(n)]


def test_compare_exit_codes(tmp_path, capsys, make_run):
    base = _write_run(tmp_path / "base", make_run(_scores(27)))
    same = _write_run(tmp_path / "same", make_run(_scores(27)))
    worse = _write_run(tmp_path / "worse", make_run(_scores(5), config_hash="ffffffffffff"))
    changed = _write_run(tmp_path / "changed", make_run(_scores(27), target_set_sha256="b" * 64))
    assert _exit_code(["compare", str(base), str(same)]) == 0
    assert _exit_code(["compare", str(base), str(worse)]) == 1
    assert "regression" in capsys.readouterr().out
    assert _exit_code(["compare", str(base), str(changed)]) == 2
    # allowing refusals does not make a gate that compared nothing pass
    assert _exit_code(["compare", str(base), str(changed), "--allow-incomparable"]) == 2
    # the quality score did not change, so comparing only it passes
    assert _exit_code(["compare", str(base), str(worse), "--metrics", "dnsmos_ovrl"]) == 0


def test_leaderboard_merges_shards(tmp_path, make_run):
    records = make_run(_scores(20))
    one = _write_run(tmp_path / "s1", records[:15])
    two = _write_run(tmp_path / "s2", records[15:])
    whole = _write_run(tmp_path / "whole", records)
    assert _exit_code(["leaderboard", str(one), str(two), "--csv", str(tmp_path / "m.csv")]) == 0
    assert _exit_code(["leaderboard", str(whole), "--csv", str(tmp_path / "w.csv")]) == 0
    assert (tmp_path / "m.csv").read_bytes() == (tmp_path / "w.csv").read_bytes()
    assert (tmp_path / "m.md").exists() and (tmp_path / "m.html").exists()


def test_leaderboard_of_a_non_run_folder_is_one_line(tmp_path, capsys):
    assert _exit_code(["leaderboard", str(tmp_path), "--csv", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("invbench: error:") and "not a run folder" in err
    assert "\n" not in err


def test_leaderboard_of_some_families_only(tmp_path, make_run):
    records = make_run(_scores(5)) + make_run(_scores(5), task="captioner/mini")
    run = _write_run(tmp_path / "run", records)
    assert _exit_code(["leaderboard", str(run), "--csv", str(tmp_path / "all.csv")]) == 0
    argv = ["leaderboard", str(run), "--csv", str(tmp_path / "img.csv"), "--families", "captioner"]
    assert _exit_code(argv) == 0
    assert "asr/mini" in (tmp_path / "all.csv").read_text()
    image_rows = (tmp_path / "img.csv").read_text()
    assert "captioner/mini" in image_rows and "asr/mini" not in image_rows


@pytest.mark.parametrize(
    ("value", "expected"),
    [("out.csv", ([], "out.csv")), ("asr=a/b.csv", (["asr"], "a/b.csv")),
     ("captioner,generator=x.csv", (["captioner", "generator"], "x.csv"))],
)  # fmt: skip
def test_parse_leaderboard_target(value, expected):
    from pathlib import Path

    from invbench.cli.evaluate import parse_leaderboard_target

    assert parse_leaderboard_target(value) == (expected[0], Path(expected[1]))


def test_parse_leaderboard_target_rejects_empty_parts():
    from invbench.cli.evaluate import parse_leaderboard_target
    from invbench.contracts.errors import InvbenchError

    with pytest.raises(InvbenchError, match="FAMILY"):
        parse_leaderboard_target("=x.csv")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("invbench: error:") and "\n" not in err, err
    return err


def test_compare_never_passes_by_comparing_nothing(tmp_path, capsys, make_run):
    base = _write_run(tmp_path / "base", make_run(_scores(27)))
    v2 = _write_run(tmp_path / "v2", make_run(_scores(27), task_version=2))
    other = _write_run(tmp_path / "other", make_run(_scores(27), inverter="noise"))
    assert _exit_code(["compare", str(base), str(v2)]) == 2
    assert "task versions differ: asr/mini (waveform-adam) v1 in" in _one_error_line(capsys)
    assert _exit_code(["compare", str(base), str(other)]) == 2
    assert "nothing was compared" in _one_error_line(capsys)
    assert _exit_code(["compare", str(base), str(base), "--metrics", "nonsense"]) == 2
    assert "no run has metric 'nonsense'" in _one_error_line(capsys)
    assert _exit_code(["compare", str(base), str(base), "--metrics", "exact_mach"]) == 2
    assert "did you mean 'exact_match'" in _one_error_line(capsys)
    for bad in ("-1", "nan", "inf"):
        assert _exit_code(["compare", str(base), str(base), "--tolerance", bad]) == 2
        assert "--tolerance must be a finite number >= 0" in _one_error_line(capsys)
    assert _exit_code(["compare", str(base), str(base), "--metrics", "cost_seconds"]) == 0
    out = capsys.readouterr().out
    assert "cost_seconds ↓" in out and "compared 1 metric(s), no regression" in out


def test_compare_two_inverters_of_one_run(tmp_path, capsys, make_run):
    run = _write_run(tmp_path / "run", make_run(_scores(3), inverter="noise", config_hash="n0")
                     + make_run(_scores(27), inverter="pixels-adam", config_hash="p0"))
    argv = ["compare", str(run), "--baseline-inverter", "noise",
            "--candidate-inverter", "pixels-adam", "--metrics", "exact_match"]
    assert _exit_code(argv) == 0
    assert "improvement" in capsys.readouterr().out
    argv[3], argv[5] = "pixels-adam", "noise"
    assert _exit_code(argv) == 1
    assert _exit_code(["compare", str(run)]) == 2
    assert "needs a CANDIDATE" in _one_error_line(capsys)
