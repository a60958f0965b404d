"""Account rules that need no database: passwords and the ward-scope rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assetmap.accounts import Role, User, can_edit_in_ward, checked_role, hash_password, password_matches
from assetmap.errors import InvalidInput


def _user(*, wards: tuple[str, ...] = (), active: bool = True, role: Role = Role.CONNECTOR) -> User:
    return User(1, "ann", role, wards, active, datetime.now(UTC), hash_password("correct horse battery"))


def test_an_unscoped_account_edits_anywhere_even_outside_every_ward():
    user = _user()
    assert can_edit_in_ward(user, "E05001") and can_edit_in_ward(user, None)


def test_a_scoped_account_edits_only_in_its_wards():
    user = _user(wards=("E05001", "E05002"))
    assert can_edit_in_ward(user, "E05002")
    assert not can_edit_in_ward(user, "E05003")
    assert not can_edit_in_ward(user, None)


@pytest.mark.parametrize("role", list(Role))
def test_the_public_and_disabled_accounts_edit_nowhere(role):
    assert not can_edit_in_ward(None, "E05001")
    assert not can_edit_in_ward(_user(active=False, role=role), "E05001")


def test_password_matches_refuses_no_user_and_overlong_input():
    assert not password_matches(None, "correct horse battery")
    assert not password_matches(_user(), "x" * 5000)
    assert password_matches(_user(), "correct horse battery")


def test_checked_role_names_the_roles():
    assert checked_role("admin") is Role.ADMIN
    with pytest.raises(InvalidInput, match="unknown role 'boss'; expected one of connector, officer, admin"):
        checked_role("boss")
