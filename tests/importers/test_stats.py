"""Small-area statistics readers: population by age, deprivation, centroids, loneliness."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping

from assetmap.errors import DataFileError
from assetmap.importers import stats
from tests.importers.zoo import write_text


def population_csv(rows: list[tuple[str, list[int]]], *, all_ages_delta: int = 0) -> str:
    header = ["LSOA Code", "LSOA Name", "All Ages", *map(str, range(90)), "90+"]
    lines = [",".join(header)]
    for code, counts in rows:
        lines.append(",".join([code, "n", str(sum(counts) + all_ages_delta), *map(str, counts)]))
    return "\n".join(lines) + "\n"


def test_population_sums_single_years(tmp_path):
    counts = [1] * 91  # one person at each age 0..89 and one aged 90+
    values = stats.read_population(write_text(tmp_path / "p.csv", population_csv([("A1", counts)])))
    assert values["A1"] == {
        "residents_total": 91,
        "residents_50plus": 41,
        "residents_65plus": 26,
        "residents_75plus": 16,
    }


def test_population_that_does_not_add_up_is_refused(tmp_path):
    path = write_text(tmp_path / "p.csv", population_csv([("A1", [1] * 91)], all_ages_delta=5))
    with pytest.raises(DataFileError, match="row 1: single years add up to 91, not All Ages 96"):
        stats.read_population(path)


def test_population_missing_columns(tmp_path):
    with pytest.raises(DataFileError, match="expected single-year columns 0 to 89 and 90"):
        stats.read_population(write_text(tmp_path / "p.csv", "LSOA Code,All Ages,0\nA1,1,1\n"))


IMD_HEADER = (
    "LSOA code (2011),Index of Multiple Deprivation (IMD) Score,"
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs),"
    "Income Deprivation Affecting Older People (IDAOPI) Score (rate)\n"
)


def test_deprivation(tmp_path):
    values = stats.read_deprivation(write_text(tmp_path / "i.csv", IMD_HEADER + "A1,51.66,1,0.337\n"))
    assert values == {"A1": {"imd_score": 51.66, "imd_decile": 1, "idaopi_score": 0.337}}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("A1,51.66,11,0.3\n", "row 1: IMD decile must be 1 to 10"),
        ("A1,51.66,1,33.7\n", "IDAOPI score must be a rate"),
        ("A1,n/a,1,0.3\n", "is not a number: 'n/a'"),
        ("A1,1,1,0.3\nA1,1,1,0.3\n", "row 2: duplicate"),
    ],
)
def test_bad_deprivation_rows(tmp_path, row, message):
    with pytest.raises(DataFileError, match=message):
        stats.read_deprivation(write_text(tmp_path / "i.csv", IMD_HEADER + row))


def test_centroids_lonlat_and_bng(tmp_path):
    lonlat = stats.read_centroids(
        write_text(tmp_path / "c.csv", "lsoa11cd,longitude,latitude\nA1,-1.13,52.63\n")
    )
    assert (lonlat["A1"]["pw_point"].x, lonlat["A1"]["pw_point"].y) == (-1.13, 52.63)
    bng = stats.read_centroids(
        write_text(tmp_path / "b.csv", "lsoa11cd,easting,northing\nA1,458800,304500\n")
    )
    assert -1.2 < bng["A1"]["pw_point"].x < -1.0


def test_swapped_centroid_is_refused(tmp_path):
    with pytest.raises(DataFileError, match="row 1: latitude and longitude look swapped"):
        stats.read_centroids(write_text(tmp_path / "c.csv", "lsoa11cd,longitude,latitude\nA1,52.63,-1.13\n"))


def test_loneliness_direct_and_area_weighted(tmp_path):
    # Target areas: T1 matches a source code; T2 straddles S2 (1/4) and S3 (3/4).
    source = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"lsoa21cd": c}, "geometry": mapping(g)}
            for c, g in (
                ("T1", box(-1.15, 52.62, -1.14, 52.63)),
                ("S2", box(-1.14, 52.62, -1.13, 52.63)),
                ("S3", box(-1.13, 52.62, -1.12, 52.63)),
            )
        ],
    }
    bounds_path = write_text(tmp_path / "lsoa21.geojson", json.dumps(source))
    csv_path = write_text(tmp_path / "l.csv", "lsoa21_code,perc\nT1,25.0\nS2,20.0\nS3,30.0\n")
    target = gpd.GeoDataFrame(
        {"code": ["T1", "T2"]},
        geometry=[box(-1.15, 52.62, -1.14, 52.63), box(-1.1325, 52.62, -1.1225, 52.63)],
        crs=4326,
    )
    values = stats.read_loneliness(csv_path, target=target, source_boundaries=bounds_path)
    assert values["T1"] == {"loneliness": 25.0}
    assert values["T2"]["loneliness"] == pytest.approx(0.25 * 20 + 0.75 * 30, rel=1e-3)


def test_loneliness_out_of_range(tmp_path):
    with pytest.raises(DataFileError, match="row 1: loneliness must be a percentage"):
        stats.read_loneliness(write_text(tmp_path / "l.csv", "lsoa21_code,perc\nT1,250\n"))


def test_centroid_code_column_follows_the_area_kind(tmp_path):
    text = "oa11cd,lsoa11cd,longitude,latitude\nO1,L1,-1.13,52.63\nO2,L1,-1.12,52.63\n"
    values = stats.read_centroids(write_text(tmp_path / "oa.csv", text), kind="oa11")
    assert set(values) == {"O1", "O2"}
    with pytest.raises(DataFileError, match="row 2: duplicate lsoa11cd 'L1'"):
        stats.read_centroids(write_text(tmp_path / "oa.csv", text), kind="lsoa11")


def test_census_ages_for_output_areas(tmp_path):
    text = "OA11CD,Total_Population,u014,u015,u016,u017,u018,u019\nO1,300,30,10,20,5,3,2\n"
    values = stats.read_census_ages(write_text(tmp_path / "oac.csv", text))
    # 50+ = 10/15 of the 45-59 band (20) + 60-64 (10) + 65+ (30).
    assert values["O1"] == {
        "residents_total": 300,
        "residents_50plus": 60,
        "residents_65plus": 30,
        "residents_75plus": 10,
    }


def test_deprivation_is_for_lsoas_only(tmp_path):
    with pytest.raises(DataFileError, match="published for LSOAs only"):
        stats.read_deprivation(write_text(tmp_path / "i.csv", IMD_HEADER + "A1,51.66,1,0.337\n"), kind="oa11")
