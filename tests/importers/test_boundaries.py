"""Ward and small-area boundary readers: column detection, CRS handling and bad geometry."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon

from assetmap.errors import DataFileError
from assetmap.importers import boundaries
from tests.importers.zoo import write_text, write_wards


@pytest.mark.parametrize(
    ("suffix", "code", "name"),
    [(".geojson", "wd19cd", "wd19nm"), (".gpkg", "WD23CD", "WD23NM"), (".zip", "WD22CD", "WD22NM")],
)
def test_wards_from_each_format(tmp_path, suffix, code, name):
    wards = boundaries.read_wards(write_wards(tmp_path / f"w{suffix}", code=code, name=name))
    assert [(w.code, w.name) for w in wards] == [("W1", "West"), ("W2", "East")]


def test_wards_in_bng_are_reprojected(tmp_path):
    import geopandas as gpd

    from tests.importers.zoo import EAST, WEST

    frame = gpd.GeoDataFrame(
        {"WD19CD": ["W1", "W2"], "WD19NM": ["West", "East"]}, geometry=[WEST, EAST], crs=4326
    )
    path = tmp_path / "bng.gpkg"
    frame.to_crs(27700).to_file(path, engine="pyogrio")
    wards = boundaries.read_wards(path)
    assert wards[0].geometry.bounds == pytest.approx(WEST.bounds, abs=1e-6)


def test_shapefile_without_prj_is_refused(tmp_path):
    with pytest.raises(DataFileError, match="no coordinate reference system"):
        boundaries.read_wards(write_wards(tmp_path / "w.zip", crs=None))


def test_newest_code_column_wins(tmp_path):
    import geopandas as gpd

    from tests.importers.zoo import EAST, WEST

    frame = gpd.GeoDataFrame(
        {
            "WD19CD": ["old1", "old2"],
            "WD19NM": ["a", "b"],
            "WD23CD": ["W1", "W2"],
            "WD23NM": ["West", "East"],
        },
        geometry=[WEST, EAST],
        crs=4326,
    )
    frame.to_file(tmp_path / "w.geojson", engine="pyogrio")
    assert [w.code for w in boundaries.read_wards(tmp_path / "w.geojson")] == ["W1", "W2"]


def _features(geoms, codes=("W1", "W2")):
    import json

    from shapely.geometry import mapping

    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"wd19cd": c, "wd19nm": c},
                    "geometry": mapping(g) if g else None,
                }
                for c, g in zip(codes, geoms, strict=True)
            ],
        }
    )


BOWTIE = Polygon([(-1.14, 52.62), (-1.13, 52.63), (-1.13, 52.62), (-1.14, 52.63)])
SQUARE = Polygon([(-1.14, 52.62), (-1.13, 52.62), (-1.13, 52.63), (-1.14, 52.63)])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_features([SQUARE, BOWTIE]), r"row 2: invalid polygon \(Self-intersection"),
        (_features([SQUARE, None]), "row 2: empty geometry"),
        (_features([SQUARE, SQUARE], codes=("W1", "W1")), "duplicate wd19cd 'W1'"),
        (_features([Polygon([(0, 0), (1, 0), (1, 1)]), SQUARE]), "outside the UK; check the CRS"),
        ('{"type": "FeatureCollection", "features": []}', "holds no features|cannot read"),
    ],
)
def test_bad_ward_files(tmp_path, text, message):
    path = write_text(tmp_path / "w.geojson", text)
    with pytest.raises(DataFileError, match=message) as info:
        boundaries.read_wards(path)
    assert str(path) in info.value.message


def test_no_code_column(tmp_path):
    text = _features([SQUARE, SQUARE]).replace("wd19cd", "ward_id")
    with pytest.raises(DataFileError, match="no ward code column"):
        boundaries.read_wards(write_text(tmp_path / "w.geojson", text))


def test_small_area_ward_by_largest_overlap(tmp_path):
    import json

    from shapely.geometry import box, mapping

    from assetmap.models import Ward
    from tests.importers.zoo import EAST, WEST

    # An area three-quarters in the east ward.
    area = box(-1.1325, 52.621, -1.1225, 52.629)
    path = write_text(
        tmp_path / "a.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"LSOA11CD": "A1", "LSOA11NM": "Area 1"},
                        "geometry": mapping(area),
                    }
                ],
            }
        ),
    )
    (small,) = boundaries.read_small_areas(path, wards=[Ward("W1", "West", WEST), Ward("W2", "East", EAST)])
    assert (small.code, small.name, small.ward_code) == ("A1", "Area 1", "W2")
