"""User accounts in the storage contract, run against every backend through the ``store`` fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assetmap.accounts import Role, password_matches
from assetmap.errors import Conflict, InvalidInput, NotFound
from tests.storage import zoo

PASSWORD = "correct horse battery"


def test_create_user_keeps_a_hash_not_the_password(store):
    before = datetime.now(UTC)
    user = store.create_user("Ann.Smith", PASSWORD, role="connector")
    assert (user.username, user.role, user.wards, user.active) == ("Ann.Smith", Role.CONNECTOR, (), True)
    assert before - timedelta(seconds=1) <= user.created_at <= datetime.now(UTC)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert password_matches(user, PASSWORD)
    assert not password_matches(user, PASSWORD + "!")
    assert PASSWORD not in repr(user) and user.password_hash not in repr(user)


def test_users_are_found_by_id_and_by_name_ignoring_case(store):
    user = store.create_user("Ann", PASSWORD, role=Role.OFFICER)
    assert store.get_user(user.id) == user
    assert store.user_by_name("ann") == user
    assert store.user_by_name(" ANN ") == user
    with pytest.raises(NotFound, match="no user named 'bob'"):
        store.user_by_name("bob")
    with pytest.raises(NotFound, match=f"no user with id {user.id + 1}"):
        store.get_user(user.id + 1)


def test_a_name_taken_in_any_case_is_refused(store):
    store.create_user("ann", PASSWORD, role="connector")
    with pytest.raises(Conflict) as err:
        store.create_user("ANN", PASSWORD, role="admin")
    assert err.value.status == 409
    assert err.value.message == "a user named 'ANN' already exists"
    assert [u.role for u in store.users()] == [Role.CONNECTOR]


def test_ward_scope_is_checked_against_stored_wards(store):
    store.upsert_wards(zoo.WARDS)
    user = store.create_user("ann", PASSWORD, role="connector", wards=["E05002", "E05001", "E05002"])
    assert user.wards == ("E05001", "E05002")
    with pytest.raises(InvalidInput, match="unknown ward code 'E05999'"):
        store.create_user("bob", PASSWORD, role="connector", wards=["E05001", "E05999"])
    assert [u.username for u in store.users()] == ["ann"]


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("an", PASSWORD, "connector", "a username is 3 to 40 letters"),
        ("ann smith", PASSWORD, "connector", "a username is 3 to 40 letters"),
        ("-ann", PASSWORD, "connector", "a username is 3 to 40 letters"),
        ("a" * 41, PASSWORD, "connector", "a username is 3 to 40 letters"),
        ("ann", "short", "connector", "a password needs at least 12 characters"),
        ("ann", "x" * 1025, "connector", "a password has at most 1024 characters"),
        ("ann", PASSWORD, "superuser", "unknown role 'superuser'; expected one of connector, officer, admin"),
    ],
    ids=["short-name", "space", "leading-dash", "long-name", "short-password", "long-password", "role"],
)
def test_bad_accounts_are_refused_and_nothing_is_written(store, username, password, role, message):
    with pytest.raises(InvalidInput) as err:
        store.create_user(username, password, role=role)
    assert err.value.status == 400
    assert err.value.message.startswith(message)
    assert store.users() == []


def test_set_password_replaces_the_hash_and_is_validated(store):
    old = store.create_user("ann", PASSWORD, role="connector")
    new = store.set_password("ANN", "another long secret")
    assert new.password_hash != old.password_hash
    assert password_matches(new, "another long secret") and not password_matches(new, PASSWORD)
    with pytest.raises(InvalidInput, match="at least 12"):
        store.set_password("ann", "short")
    with pytest.raises(NotFound, match="no user named 'bob'"):
        store.set_password("bob", PASSWORD)
    assert store.user_by_name("ann") == new


def test_set_active_disables_and_enables(store):
    store.create_user("ann", PASSWORD, role="connector")
    assert store.set_active("ann", False).active is False
    assert store.user_by_name("ann").active is False
    assert store.set_active("ann", True).active is True


def test_users_are_listed_by_name_ignoring_case_and_do_not_touch_the_revision(store):
    revision = store.revision()
    for name in ("carol", "Bob", "ann"):
        store.create_user(name, PASSWORD, role="connector")
    assert [u.username for u in store.users()] == ["ann", "Bob", "carol"]
    assert store.revision() == revision
