"""Programme reach: the editable list of wards where Community Connectors already work."""

from __future__ import annotations

import csv
import json

import pytest

from assetmap.config import DEFAULTS, PROJECT_ROOT
from assetmap.errors import DataFileError
from assetmap.web.programme import connector_wards


def test_the_repository_file_names_leicesters_five_starting_wards():
    path = PROJECT_ROOT / "data" / "programme" / "connector_wards.csv"
    assert DEFAULTS["PROGRAMME_WARDS"] == str(path)
    boundaries = json.loads((PROJECT_ROOT / "data" / "wards" / "wards_2019.geojson").read_text("utf-8"))
    names = {f["properties"]["wd19cd"]: f["properties"]["wd19nm"] for f in boundaries["features"]}
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert connector_wards(path) == [r["ward_code"] for r in rows]
    starting = {"Belgrave", "Evington", "Spinney Hills", "Thurncourt", "Wycliffe"}
    assert {names[r["ward_code"]] for r in rows} == starting
    assert all(names[r["ward_code"]] == r["ward_name"] for r in rows)


def test_codes_are_trimmed_and_kept_once_in_file_order(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ward_code,note\n E05010478 ,x\nE05010461,\nE05010478,again\n", encoding="utf-8")
    assert connector_wards(path) == ["E05010478", "E05010461"]


def test_header_only_means_no_wards(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ward_code,ward_name,note\n", encoding="utf-8")
    assert connector_wards(path) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ward,name\nE05010461,Belgrave\n", "no ward_code column"),
        ("ward_code\nE05010461\nBelgrave\n", "row 2: ward_code 'Belgrave' is not a ward code"),
        ("ward_code,note\n,blank\n", "row 1: ward_code '' is not a ward code"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        connector_wards(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        connector_wards(tmp_path / "none.csv")
