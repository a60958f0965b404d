"""Accounts: who may log in, with which role, and where they may edit.

The public reads without an account. Connectors, officers and admins log in; any account may be
scoped to a list of wards, and then edits only there. :mod:`~assetmap.accounts.users` holds the
:class:`User` model and its rules (username, password, role), :mod:`~assetmap.accounts.rules` the
permission checks the web layer's write endpoints use. Storage keeps users through
:class:`~assetmap.storage.base.Store`; nothing here touches a database or Flask.
"""

from __future__ import annotations

from assetmap.accounts.rules import can_edit_in_ward
from assetmap.accounts.users import (
    MIN_PASSWORD_LENGTH,
    Role,
    User,
    checked_password,
    checked_role,
    checked_username,
    hash_password,
    password_matches,
    username_key,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Role",
    "User",
    "can_edit_in_ward",
    "checked_password",
    "checked_role",
    "checked_username",
    "hash_password",
    "password_matches",
    "username_key",
]
