"""`invbench zoo`: listing the shipped models, refusing unknown names with a suggestion."""

import pytest

from invbench.cli.main import main


def _run(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def test_zoo_list_names_every_shipped_model_and_its_hash(capsys):
    from invbench.models.zoo.weights import load_zoo_weights

    assert _run(["zoo", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("captioner", "captioner-judge", "mini-clip"):
        assert name in out and load_zoo_weights(name).sha256[:12] in out


def test_zoo_train_unknown_name_suggests(capsys):
    assert _run(["zoo", "train", "captionr"]) == 2
    err = capsys.readouterr().err
    assert "unknown zoo model 'captionr'" in err and "did you mean 'captioner'" in err
