"""Who is asking, and may they: logging in and out, roles, CSRF and login rate limits.

:func:`register` sets an app up: the session cookie (signed with ``SECRET_KEY``, HttpOnly,
SameSite=Lax, Secure when ``SESSION_COOKIE_SECURE``), CSRF protection on every POST form
(Flask-WTF), Flask-Login sessions, and a Flask-Limiter limit on failed logins per client address
and per username. The public reads without logging in; write endpoints guard themselves with
:func:`roles_required` and :func:`~assetmap.accounts.can_edit_in_ward` on :func:`current_account`.
A session names the user and a fingerprint of their password hash, so changing a password or
disabling an account ends every session of it. See ``docs/accounts.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired

from assetmap.accounts import Role, User, password_matches, username_key
from assetmap.errors import ConfigError, Forbidden, NotFound
from assetmap.web import get_store

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]

MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"
# The same words whether the name is unknown or the password wrong: a failed login never tells
# which names exist.
LOGIN_FAILED = "That username and password do not match an account."
ACCOUNT_DISABLED = "This account is disabled; ask an administrator to enable it."
TOO_MANY = "Too many failed logins; wait a minute and try again."

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    next = HiddenField()


class Account(UserMixin):
    """A logged-in :class:`~assetmap.accounts.User` as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return f"{self.user.id}:{_fingerprint(self.user)}"


def _fingerprint(user: User) -> str:
    """Changes whenever the password does, so a new password ends the sessions of the old one."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _load_account(session_id: str) -> Account | None:
    user_id, _, fingerprint = session_id.partition(":")
    try:
        user = get_store().get_user(int(user_id))
    except (ValueError, NotFound):
        return None
    if not user.active or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return Account(user)


def current_account() -> User | None:
    """The logged-in user of this request, or None for the public."""
    return current_user.user if current_user.is_authenticated else None


def required_account() -> User:
    """The logged-in user, in a view that :func:`roles_required` lets only accounts into."""
    user = current_account()
    assert user is not None  # roles_required let only accounts through
    return user


def _unauthorized() -> ResponseReturnValue:
    """Not logged in: 401 under ``/api/``, else the login page, coming back here afterwards."""
    if request.path.startswith("/api/"):
        abort(401, "log in to do this")
    here = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=here))


def roles_required(*roles: Role | str) -> Callable[[View[P]], View[P]]:
    """Guard a view: the public is sent to log in, an account of another role gets 403.

    Roles are not ranked: name every role that may use the view, e.g.
    ``@roles_required("officer", "admin")``.
    """
    allowed = frozenset(Role(role) for role in roles)
    if not allowed:
        raise ValueError("roles_required needs at least one role")

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = current_account()
            if user is None:
                return _unauthorized()
            if user.role not in allowed:
                raise Forbidden(f"an account with the role {user.role} cannot do this")
            return view(*args, **kwargs)

        return guarded

    return decorator


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
        or urlsplit(target).netloc
    ):
        return url_for("pages.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = _user_named(form.username.data or "")
        if not password_matches(user, form.password.data or ""):
            error = LOGIN_FAILED
        elif user is not None and not user.active:
            error = ACCOUNT_DISABLED
        elif user is not None:
            session.clear()  # nothing from before the login carries over
            login_user(Account(user))
            return redirect(safe_next(form.next.data))
    elif request.method == "POST":
        error = LOGIN_FAILED
    else:
        form.next.data = request.args.get("next", "")
    return render_template("login.html", form=form, error=error)


def _user_named(name: str) -> User | None:
    try:
        return get_store().user_by_name(name)
    except NotFound:
        return None


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out (a POST with the CSRF token, so another site cannot log a user out)."""
    logout_user()
    session.clear()
    return redirect(url_for("pages.index"))


# -- setting up an app -----------------------------------------------------------------------------
def register(app: Flask) -> CSRFProtect:
    """Set up sessions, CSRF, logins and login rate limits on ``app``; the CSRF extension is returned
    so the factory can exempt a view, saying why."""
    app.secret_key = _secret_key(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config.get("SESSION_COOKIE_SECURE")),
    )
    # A form's token stays valid as long as its session does (a page left open is not refused).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf = CSRFProtect(app)

    login_manager = LoginManager(app)
    login_manager.user_loader(_load_account)
    login_manager.unauthorized_handler(_unauthorized)

    limiter = Limiter(get_remote_address, app=app)
    for key in (get_remote_address, _username_key):
        limiter.limit(
            lambda: str(current_app.config["LOGIN_RATE_LIMIT"]),
            key_func=key,
            methods=["POST"],
            exempt_when=lambda: request.endpoint != "auth.login",
            deduct_when=_failed,
            error_message=TOO_MANY,
        )(bp)
    app.register_blueprint(bp)
    return csrf


def _username_key() -> str:
    # Prefixed so a username can never share a count with a client address.
    return "user:" + username_key(request.form.get("username", ""))


def _failed(response: Response) -> bool:
    """Only failed logins count towards the limit: a successful one redirects."""
    return response.status_code != 302


def _secret_key(app: Flask) -> str:
    """``SECRET_KEY`` from the config, else the one kept in the instance folder (made on first run)."""
    configured = app.config.get("SECRET_KEY")
    if configured:
        if not isinstance(configured, str) or len(configured) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"SECRET_KEY: use at least {MIN_SECRET_KEY_LENGTH} random characters")
        return configured
    path = Path(app.instance_path) / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"{path}: the secret key is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    return key


def _write_new_key(path: Path) -> None:
    """Write a random key readable only by its owner; if another worker got there first, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        os.link(scratch, path)  # atomic, and fails if the key exists: the file is never half-written
    except FileExistsError:
        pass
    finally:
        scratch.unlink(missing_ok=True)
