"""`invbench schema`: the JSON Schema of each stored file, and the generated docs page."""

import json
from pathlib import Path

import pytest

from invbench.cli.main import main
from invbench.cli.schema import SCHEMAS, markdown_page

PAGE = Path(__file__).resolve().parents[2] / "docs" / "record-schema.md"


def _run(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    return capsys.readouterr().out


def test_schema_of_a_record_is_json_schema_with_the_new_fields(capsys):
    schema = json.loads(_run(["schema", "record"], capsys))
    properties = schema["properties"]
    assert properties["seed"]["type"] == "integer" and "seed" in schema["required"]
    assert properties["inverter_access"]["enum"] == ["white-box", "query-only"]
    assert properties["inverter_access"]["default"] == "white-box"
    assert "inverter_info" not in schema["required"] and "schema" in properties


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_schema_prints(name, capsys):
    schema = json.loads(_run(["schema", name], capsys))
    assert schema["title"] == SCHEMAS[name][0].__name__ and schema["properties"]


def test_without_a_name_the_names_are_listed(capsys):
    out = _run(["schema"], capsys)
    assert [line.split()[0] for line in out.splitlines()] == list(SCHEMAS)


def test_the_committed_docs_page_is_the_generated_one(capsys):
    assert _run(["schema", "--markdown"], capsys) == markdown_page()
    assert PAGE.read_text(encoding="utf-8") == markdown_page(), (
        "docs/record-schema.md is stale: run `invbench schema --markdown > docs/record-schema.md`")


def test_an_unknown_name_is_one_line_with_a_suggestion(capsys):
    with pytest.raises(SystemExit) as info:
        main(["schema", "recrod"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("invbench: error: unknown schema 'recrod'; did you mean 'record'")
    assert "\n" not in err
