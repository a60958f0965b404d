"""Load a whole city data pack (the Leicester pack by default) into a store, step by step.

The pack is read where it lies (``DATA_PACK`` in the config); nothing is copied. Each step is
one importer over one file, atomic on its own, and the whole load is idempotent: running it again
reports everything unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assetmap.config import PROJECT_ROOT
from assetmap.errors import DataFileError
from assetmap.importers import ImportSummary, assets, boundaries, stats
from assetmap.storage.base import Store

WARDS_FILE = PROJECT_ROOT / "data" / "wards" / "wards_2019.geojson"


@dataclass(frozen=True)
class Step:
    label: str
    path: Path
    run: Callable[[Store], ImportSummary]


def pack_steps(pack: Path, *, wards_file: Path = WARDS_FILE) -> list[Step]:
    """The import steps for a pack laid out like ``shared/data/leicester``, in dependency order."""
    if not pack.is_dir():
        raise DataFileError(str(pack), "data pack folder not found; set ASSETMAP_DATA_PACK")

    def values(reader: Callable[..., stats.Values], path: Path) -> Callable[[Store], ImportSummary]:
        return lambda store: stats.import_stats(store, path, reader)

    def loneliness(store: Store) -> ImportSummary:
        from assetmap.frames import areas_frame

        path = pack / "loneliness_cls2020_lsoa21.csv"
        target = areas_frame(store.areas(kind="lsoa11"))
        found = stats.read_loneliness(path, target=target, source_boundaries=pack / "lsoa_2021.geojson")
        return stats.import_values(store, path, found)

    registers = pack / "registers" / "registers_points.geojson"
    community = pack / "osm" / "leicester_community_assets_points.geojson"
    return [
        Step("wards", wards_file, lambda s: boundaries.import_wards(s, wards_file)),
        Step(
            "small areas (LSOA 2011)",
            pack / "lsoa_2011.geojson",
            lambda s: boundaries.import_small_areas(s, pack / "lsoa_2011.geojson", kind="lsoa11"),
        ),
        Step(
            "population-weighted centroids",
            pack / "lsoa_2011_pwc.csv",
            values(stats.read_centroids, pack / "lsoa_2011_pwc.csv"),
        ),
        Step(
            "population by age (mid-2020)",
            pack / "population_age_lsoa11_mid2020.csv",
            values(stats.read_population, pack / "population_age_lsoa11_mid2020.csv"),
        ),
        Step(
            "Indices of Deprivation 2019",
            pack / "imd2019_lsoa.csv",
            values(stats.read_deprivation, pack / "imd2019_lsoa.csv"),
        ),
        Step("loneliness (CLS 2020/21)", pack / "loneliness_cls2020_lsoa21.csv", loneliness),
        Step(
            "registers (faith, cafés, care, GP, clubs, community centres, bus stops)",
            registers,
            lambda s: assets.import_register(
                s, registers, mapping="registers", dataset="leicester-registers"
            ),
        ),
        Step(
            "community assets (libraries, pubs, warm spaces)",
            community,
            lambda s: assets.import_register(
                s, community, mapping="community_assets", dataset="leicester-community-assets"
            ),
        ),
    ]


def load_pack(
    store: Store, pack: Path, *, wards_file: Path = WARDS_FILE
) -> Iterator[tuple[Step, ImportSummary]]:
    """Run every step, yielding each step with its summary as it finishes."""
    steps = pack_steps(pack, wards_file=wards_file)
    missing = [s.path for s in steps if not s.path.is_file()]
    if missing:
        raise DataFileError(str(missing[0]), "file of the data pack not found")
    for step in steps:
        yield step, step.run(store)
