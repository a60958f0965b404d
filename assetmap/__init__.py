"""assetmap: map community assets against need for people aged 50+.

The package is laid out by concern. ``models`` and ``errors`` are the vocabulary; ``taxonomy``
and ``geo`` hold the asset categories and coordinate rules; ``coverage`` is the pure analysis
core; ``storage`` persists wards, small areas, assets and audit events; ``importers`` read the
public file formats; ``cli`` and ``web`` are thin shells over the rest.
"""

from __future__ import annotations

__version__ = "0.1.0"
