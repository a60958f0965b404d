"""Programme reach: the wards where Community Connectors already work.

Read from an editable CSV (``PROGRAMME_WARDS``, by default ``data/programme/connector_wards.csv``;
its README says how to edit it) on each page view, so a change needs no restart. The maps outline
these wards and the side panel lists them.
"""

from __future__ import annotations

import re
from pathlib import Path

from assetmap.errors import DataFileError
from assetmap.importers.readers import read_csv_rows

_CODE = re.compile(r"^[A-Z0-9]{1,20}$")  # ONS GSS codes such as E05010461; test codes such as W1


def connector_wards(path: Path) -> list[str]:
    """The ward codes in ``path`` (column ``ward_code``), in file order, each once.

    Raises
    ------
    DataFileError
        When the file is missing, has no ``ward_code`` column, or a row's code is not a code
        (capital letters and digits, like ``E05010461``; the message names the row).
    """
    codes: list[str] = []
    for number, row in read_csv_rows(path):
        if "ward_code" not in row:
            raise DataFileError(str(path), "no ward_code column")
        code = row["ward_code"].strip()
        if not _CODE.match(code):
            raise DataFileError(
                str(path), f"ward_code {code!r} is not a ward code like E05010461", row=number
            )
        if code not in codes:
            codes.append(code)
    return codes
