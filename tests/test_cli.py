"""The command line's account commands: create-user, set-password, disable-user, enable-user."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from assetmap.accounts import Role, password_matches
from assetmap.cli import main
from assetmap.storage import open_store
from tests.storage import zoo

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    store = open_store(url)
    store.migrate()
    store.upsert_wards(zoo.WARDS)
    yield store
    store.close()


@pytest.fixture
def cli(db):
    runner = CliRunner(env={"ASSETMAP_DATABASE_URL": str(db.engine.url)})

    def invoke(*args, stdin=None):
        return runner.invoke(main, list(args), input=stdin)

    return invoke


def test_create_user_asks_for_the_password_twice_without_echoing_it(cli, db):
    result = cli(
        "create-user", "ann", "--role", "connector", "--ward", "E05001", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "created connector ann (E05001)" in result.output
    user = db.user_by_name("ann")
    assert (user.role, user.wards) == (Role.CONNECTOR, ("E05001",))
    assert password_matches(user, PASSWORD)


def test_create_user_asks_again_when_the_two_passwords_differ(cli, db):
    result = cli(
        "create-user", "ann", "--role", "admin", stdin=f"{PASSWORD}\nother\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert db.user_by_name("ann").role is Role.ADMIN


def test_create_user_reads_one_line_of_stdin_for_scripts(cli, db):
    result = cli("create-user", "olga", "--role", "officer", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created officer olga (any ward)" in result.output
    assert password_matches(db.user_by_name("olga"), PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "connector"], "short\n", "error: a password needs at least 12 characters"),
        (["--role", "connector", "--ward", "E05999"], f"{PASSWORD}\n", "error: unknown ward code 'E05999'"),
    ],
    ids=["short-password", "unknown-ward"],
)
def test_create_user_refuses_bad_input_with_a_message(cli, db, args, stdin, message):
    result = cli("create-user", "ann", *args, "--password-stdin", stdin=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert db.users() == []


def test_create_user_refuses_an_unknown_role_and_a_taken_name(cli, db):
    result = cli("create-user", "ann", "--role", "boss", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 2 and "'boss' is not one of" in result.output
    cli("create-user", "ann", "--role", "connector", "--password-stdin", stdin=f"{PASSWORD}\n")
    result = cli("create-user", "ANN", "--role", "admin", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 2
    assert "error: a user named 'ANN' already exists" in result.output
    assert [u.role for u in db.users()] == [Role.CONNECTOR]


def test_set_password_changes_it_and_an_unknown_name_is_refused_before_asking(cli, db):
    cli("create-user", "ann", "--role", "connector", "--password-stdin", stdin=f"{PASSWORD}\n")
    result = cli("set-password", "Ann", stdin="a brand new password\na brand new password\n")
    assert result.exit_code == 0, result.output
    assert "password changed for ann" in result.output
    assert password_matches(db.user_by_name("ann"), "a brand new password")
    result = cli("set-password", "bob", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 2 and "error: no user named 'bob'" in result.output


def test_disable_and_enable_user(cli, db):
    cli("create-user", "ann", "--role", "connector", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert "disabled ann" in cli("disable-user", "ann").output
    assert db.user_by_name("ann").active is False
    assert "enabled ann" in cli("enable-user", "ann").output
    assert db.user_by_name("ann").active is True
