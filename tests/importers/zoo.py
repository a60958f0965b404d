"""Tiny synthetic files for importer tests: two square wards near Leicester and a few rows."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

# Two 0.01° squares side by side, west (W1) and east (W2), around lon -1.13, lat 52.63.
WEST = box(-1.14, 52.62, -1.13, 52.63)
EAST = box(-1.13, 52.62, -1.12, 52.63)


def write_wards(
    path: Path, *, code: str = "WD23CD", name: str = "WD23NM", crs: str | None = "EPSG:4326"
) -> Path:
    frame = gpd.GeoDataFrame({code: ["W1", "W2"], name: ["West", "East"]}, geometry=[WEST, EAST], crs=crs)
    if path.suffix == ".zip":
        shp_dir = path.parent / "shp"
        shp_dir.mkdir()
        frame.to_file(shp_dir / "wards.shp", engine="pyogrio")
        with zipfile.ZipFile(path, "w") as zf:
            for part in shp_dir.iterdir():
                if crs is not None or part.suffix != ".prj":
                    zf.write(part, part.name)
    else:
        frame.to_file(path, engine="pyogrio", driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON")
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_geojson(path: Path, features: list[dict], **extra: object) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features, **extra}), encoding="utf-8"
    )
    return path


def point(lon: float, lat: float, **props: object) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


ASSET_CSV = """name,category,subcategory,lat,lon,source_id,step_free,languages
Chat bench,bench,listening_bench,52.625,-1.135,b1,yes,English;Gujarati
St Mary's,faith,church,52.626,-1.125,c1,no,
Pop-in café,cafe,pop_in_cafe,52.624,-1.128,f1,,
"""
