"""Logging in and out, CSRF, login rate limits, session cookies and role guards (assetmap.web.auth)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from assetmap.config import load_config
from assetmap.errors import ConfigError
from assetmap.web import auth, get_store
from assetmap.web.auth import roles_required
from tests.conftest import csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture
def users(app):
    with app.app_context():
        store = get_store()
        store.create_user("Ann", PASSWORD, role="connector", wards=["W1"])
        store.create_user("olga", PASSWORD, role="officer")
        store.create_user("dan", PASSWORD, role="connector")
        store.set_active("dan", False)
    return app


def log_in(client, username="Ann", password=PASSWORD, **extra):
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_token(client), **extra}
    )


def logged_in_as(client):
    text = client.get("/").get_data(as_text=True)
    match = re.search(r"<span>([^<]+)</span> ·", text)
    return match.group(1) if match else None


def test_the_public_sees_log_in_and_no_session_cookie(client):
    response = client.get("/")
    assert 'href="/login?next=/">Log in</a>' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_login_with_the_right_password_in_any_case_of_name(users):
    client = users.test_client()
    response = log_in(client, username="ann")
    assert response.status_code == 302 and response.location == "/"
    assert logged_in_as(client) == "Ann (connector)"


@pytest.mark.parametrize(("username", "password"), [("Ann", "wrong password!!"), ("nobody", PASSWORD)])
def test_a_failed_login_does_not_say_whether_the_user_exists(users, username, password):
    client = users.test_client()
    response = log_in(client, username=username, password=password)
    assert response.status_code == 200
    assert auth.LOGIN_FAILED in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_login_without_the_csrf_token_is_refused(users):
    response = users.test_client().post("/login", data={"username": "Ann", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF token is missing" in response.get_data(as_text=True)


def test_a_disabled_account_cannot_log_in(users):
    client = users.test_client()
    response = log_in(client, username="dan")
    assert response.status_code == 200
    assert auth.ACCOUNT_DISABLED in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(users):
    client = users.test_client()
    log_in(client, username="olga")
    assert logged_in_as(client) == "olga (officer)"
    with users.app_context():
        get_store().set_password("olga", "a brand new password")
    assert logged_in_as(client) is None
    log_in(client, username="olga", password="a brand new password")
    assert logged_in_as(client) == "olga (officer)"
    with users.app_context():
        get_store().set_active("olga", False)
    assert logged_in_as(client) is None


def test_logout_needs_a_post_with_the_csrf_token(users):
    client = users.test_client()
    log_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert logged_in_as(client) == "Ann (connector)"
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_session_cookie_is_httponly_and_samesite_lax_and_not_secure_by_default(users):
    client = users.test_client()
    cookie = log_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(users):
    users.config["SESSION_COOKIE_SECURE"] = True
    client = users.test_client()
    client.get("/login", base_url="https://localhost")
    response = client.post(
        "/login",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
        data={"username": "Ann", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert "; Secure" in response.headers["Set-Cookie"]


def test_failed_logins_are_limited_per_address(users):
    client = users.test_client()
    for i in range(5):
        assert log_in(client, username=f"guess{i}", password="wrong password!!").status_code == 200
    response = log_in(client)  # the right password, but too late
    assert response.status_code == 429
    assert auth.TOO_MANY in response.get_data(as_text=True)
    other = users.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert log_in(other).status_code == 302


def proxied_app(users, proxies):
    """The same store as ``users``, in an app told to trust ``proxies`` reverse proxies."""
    from assetmap.web import create_app

    config = {k: users.config[k] for k in ("DATABASE_URL", "TESTING", "WALK_NETWORK", "SECRET_KEY")}
    return create_app(config | {"TRUSTED_PROXIES": proxies})


def behind_the_proxy(app, client_address):
    """A client whose requests all reach the app from the proxy at 10.0.0.1."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
    return client


def test_behind_a_trusted_proxy_failed_logins_are_counted_per_forwarded_address(users):
    app = proxied_app(users, 1)
    guesser = behind_the_proxy(app, "203.0.113.7")
    for i in range(5):
        assert log_in(guesser, username=f"guess{i}", password="wrong password!!").status_code == 200
    assert log_in(guesser).status_code == 429
    assert log_in(behind_the_proxy(app, "198.51.100.2")).status_code == 302  # someone else gets in


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(users):
    app = proxied_app(users, 0)
    for i in range(5):  # a guesser cannot dodge the limit by making up X-Forwarded-For
        client = behind_the_proxy(app, f"203.0.113.{i}")
        assert log_in(client, username=f"guess{i}", password="wrong password!!").status_code == 200
    assert log_in(behind_the_proxy(app, "198.51.100.2")).status_code == 429


def test_failed_logins_are_limited_per_username_across_addresses(users):
    for i in range(5):
        client = users.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.1.{i}"
        assert log_in(client, username="ANN", password="wrong password!!").status_code == 200
    client = users.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.2.1"
    assert log_in(client, username="ann").status_code == 429
    assert log_in(client, username="olga").status_code == 302


def test_successful_logins_and_page_views_do_not_count_towards_the_limit(users):
    client = users.test_client()
    for _ in range(7):
        assert log_in(client).status_code == 302
        assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/wards/W1?x=1", "/wards/W1?x=1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("", "/"),
    ],
)
def test_after_login_only_a_path_on_this_site_is_followed(users, next_url, expected):
    response = log_in(users.test_client(), next=next_url)
    assert response.status_code == 302
    assert response.location == expected


def test_the_login_page_keeps_the_next_url_from_the_query(users):
    client = users.test_client()
    assert 'value="/wards/W1"' in client.get("/login?next=/wards/W1").get_data(as_text=True)


@pytest.fixture
def guarded(users):
    @users.get("/officers-only")
    @roles_required("officer", "admin")
    def officers_only():
        return "ok"

    @users.get("/api/officers-only")
    @roles_required("officer")
    def api_officers_only():
        return {"ok": True}

    return users


def test_roles_required_sends_the_public_to_log_in_and_refuses_other_roles(guarded):
    client = guarded.test_client()
    response = client.get("/officers-only?x=1")
    assert response.status_code == 302 and response.location == "/login?next=/officers-only?x%3D1"
    assert client.get("/api/officers-only").status_code == 401
    assert client.get("/api/officers-only").get_json()["status"] == 401
    log_in(client)
    response = client.get("/officers-only")
    assert response.status_code == 403
    assert "an account with the role connector cannot do this" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    log_in(client, username="olga")
    assert client.get("/officers-only").get_data(as_text=True) == "ok"
    assert client.get("/api/officers-only").get_json() == {"ok": True}


def test_roles_required_refuses_unknown_roles():
    with pytest.raises(ValueError):
        roles_required("boss")
    with pytest.raises(ValueError, match="at least one role"):
        roles_required()


def test_whatif_api_is_exempt_from_csrf(client):
    response = client.post("/api/whatif", json={"nope": 1})
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("expected a JSON body")


def test_a_secret_key_is_made_once_and_kept(tmp_path):
    app = Flask("t", instance_path=str(tmp_path / "instance"))
    first = auth._secret_key(app)
    assert len(first) >= 32
    assert auth._secret_key(app) == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_a_configured_secret_key_wins_and_a_short_one_is_refused(tmp_path):
    app = Flask("t", instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "k" * 32
    assert auth._secret_key(app) == "k" * 32
    assert not (tmp_path / "secret_key").exists()
    app.config["SECRET_KEY"] = "short"
    with pytest.raises(ConfigError, match="at least 32 random characters"):
        auth._secret_key(app)


def test_cookie_security_and_rate_limit_storage_come_from_the_environment(tmp_path):
    env = {"ASSETMAP_SESSION_COOKIE_SECURE": "true", "ASSETMAP_RATELIMIT_STORAGE_URI": "redis://cache:6379"}
    config = load_config(environ=env, instance_path=tmp_path / "none.json")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379"
    with pytest.raises(ConfigError, match="ASSETMAP_SESSION_COOKIE_SECURE: cannot read 'maybe'"):
        load_config(environ={"ASSETMAP_SESSION_COOKIE_SECURE": "maybe"}, instance_path=tmp_path / "none.json")
    assert load_config(environ={}, instance_path=tmp_path / "none.json")["TRUSTED_PROXIES"] == 0
    env = {"ASSETMAP_TRUSTED_PROXIES": "1"}
    assert load_config(environ=env, instance_path=tmp_path / "none.json")["TRUSTED_PROXIES"] == 1
    for bad in ("-1", "6", "1.5", "true"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            load_config(environ={"ASSETMAP_TRUSTED_PROXIES": bad}, instance_path=tmp_path / "none.json")
