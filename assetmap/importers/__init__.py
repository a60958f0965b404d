"""Importers: read public data files into the store, atomically and idempotently.

Each importer parses and validates a whole file first (a bad row raises
:class:`~assetmap.errors.DataFileError` naming the file and row, and nothing is written), then
hands the records to one atomic store call. Re-running an import updates records by their code or
source id and never duplicates them. ``readers`` sniffs and opens files; ``boundaries`` reads
wards and small areas; ``stats`` reads population, deprivation and loneliness tables;
``assets`` reads asset registers, generic CSV and GeoJSON; ``osm`` reads OpenStreetMap
``.osm.pbf``; ``pack`` loads a whole city data pack.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ImportSummary:
    """What one import did to the store."""

    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        """One line for the terminal, e.g. ``wards.geojson: 21 added, 0 updated, ...``."""
        text = (
            f"{self.source}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {sum(self.skipped.values())} skipped"
        )
        reasons = "; ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
        return f"{text} ({reasons})" if reasons else text
