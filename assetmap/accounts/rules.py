"""Permission rules on accounts, for the web layer's write endpoints.

Pure functions of a :class:`~assetmap.accounts.users.User` (or ``None`` for the public).
"""

from __future__ import annotations

from assetmap.accounts.users import User


def can_edit_in_ward(user: User | None, ward_code: str | None) -> bool:
    """Whether ``user`` may add or edit an asset in the ward ``ward_code``.

    The public and disabled accounts may not. An account with no ward scope may edit anywhere,
    including places outside every ward (``ward_code`` None); a scoped account only in its wards.

    >>> from datetime import UTC, datetime
    >>> ann = User(1, "ann", "connector", ("E05010458",), True, datetime.now(UTC), "")
    >>> can_edit_in_ward(ann, "E05010458"), can_edit_in_ward(ann, "E05010459"), can_edit_in_ward(None, "x")
    (True, False, False)
    """
    if user is None or not user.active:
        return False
    if not user.wards:
        return True
    return ward_code is not None and ward_code in user.wards
