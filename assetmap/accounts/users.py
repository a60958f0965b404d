"""The user account model and the rules for usernames, passwords and roles.

Usernames are 3 to 40 ASCII letters, digits, ``.``, ``_`` or ``-`` and are unique ignoring case
(:func:`username_key`); the name is shown as it was typed. Passwords are at least
:data:`MIN_PASSWORD_LENGTH` characters and are kept only as a salted scrypt hash (werkzeug).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from assetmap.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing cost stays bounded whatever is posted
HASH_METHOD = "scrypt"
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,39}")


class Role(StrEnum):
    """What an account may do. The public (no account) only reads."""

    CONNECTOR = "connector"  # adds and edits assets, within their wards if scoped
    OFFICER = "officer"  # also verifies and manages assets
    ADMIN = "admin"  # also manages accounts


@dataclass(frozen=True)
class User:
    """A stored account. ``wards`` empty means the account is not limited to any wards."""

    id: int
    username: str
    role: Role
    wards: tuple[str, ...]
    active: bool
    created_at: datetime
    password_hash: str = field(repr=False)


def checked_username(username: object) -> str:
    """``username`` stripped, or :class:`InvalidInput` if it breaks the pattern."""
    name = username.strip() if isinstance(username, str) else ""
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "a username is 3 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def username_key(username: str) -> str:
    """The form usernames are compared in: ``Ann`` and ``ann`` are the same user."""
    return username.strip().lower()


def checked_password(password: object) -> str:
    """``password`` unchanged, or :class:`InvalidInput` if it is too short or too long."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def checked_role(role: object) -> Role:
    """``role`` as a :class:`Role`, or :class:`InvalidInput` naming the roles there are."""
    try:
        return Role(str(role))
    except ValueError:
        expected = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {str(role)[:40]!r}; expected one of {expected}") from None


def hash_password(password: str) -> str:
    """A salted scrypt hash of a valid password (see :func:`checked_password`)."""
    return generate_password_hash(checked_password(password), method=HASH_METHOD)


@cache
def _decoy_hash() -> str:
    return generate_password_hash("no account has this password", method=HASH_METHOD)


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s.

    For no user it still hashes, against a decoy, so a wrong username takes as long as a wrong
    password and timing does not tell which names exist.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)
