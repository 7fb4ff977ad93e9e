"""Settings: one object, read from the environment (prefix ``OPENSPACE_``) and ``.env``.

Every field is documented in the README; ``tests/test_docs.py`` fails when one is not.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.i18n import LOCALES

DEFAULT_DATA_DIR = Path("var")
SqliteSynchronous = Literal["full", "normal"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPACE_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Literal["development", "production", "test"] = Field(
        default="development",
        description="`production` refuses a missing secret key and marks cookies Secure.",
    )
    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Where the SQLite file, the generated secret key and uploads live by default.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file `openspace.db` in the data dir. "
        "`postgresql://…` uses psycopg 3.",
    )
    sqlite_synchronous: SqliteSynchronous = Field(
        default="full",
        description="SQLite's `synchronous`: `full` syncs every commit to disk, so an acknowledged "
        "vote survives a power cut; `normal` is faster but may lose the last commits then.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs CSRF tokens and personal links. Generated into the data dir in "
        "development; required in production.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address used in join links, QR codes and the WebSocket origin check.",
    )
    upload_dir: Path | None = Field(
        default=None, description="Where uploaded photos are stored; default `<data dir>/uploads`."
    )
    default_locale: str = Field(
        default="en",
        description="Interface language when neither a choice nor the browser says (one of "
        "the shipped languages, app/i18n.py LOCALES).",
    )
    broadcast_url: str = Field(
        default="memory://",
        description="Live-update backend: `memory://` (one process) or `redis://host:port/db`.",
    )
    use_cdn: bool = Field(
        default=True,
        description="Load htmx from the pinned CDN (with SRI); off serves only the vendored copy.",
    )
    session_days: int = Field(
        default=14, ge=1, le=365, description="How long a login or a joined phone stays signed in."
    )
    login_attempts: int = Field(
        default=3,
        ge=1,
        description="Wrong passwords in a row for one account after which each next attempt "
        "waits 2^misses seconds (8, 16, 32 … at most 5 minutes); nothing locks.",
    )
    join_attempts: int = Field(
        default=10, ge=1, description="Wrong join codes per browser session per 10 minutes."
    )
    address_attempts: int = Field(
        default=300,
        ge=1,
        description="Wrong passwords, and separately wrong join codes, per client address per "
        "10 minutes before that address gets no free misses (generous: a whole room shares "
        "one Wi-Fi address; a right code or password is still accepted).",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For/Proto headers are trusted by `openspace serve`.",
    )

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _synchronous_mode(cls, value: object) -> object:
        # Name the variable: the CLI reports only the message, and "Input should be 'full' or
        # 'normal'" would not say which setting is wrong.
        mode = value.strip().lower() if isinstance(value, str) else value
        if mode not in get_args(SqliteSynchronous):
            raise ValueError(f"OPENSPACE_SQLITE_SYNCHRONOUS must be full or normal, not {value!r}")
        return mode

    @field_validator("default_locale")
    @classmethod
    def _shipped_locale(cls, value: str) -> str:
        if value not in LOCALES:
            shipped = ", ".join(LOCALES)
            raise ValueError(f"OPENSPACE_DEFAULT_LOCALE must be one of {shipped}, not {value!r}")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key is None:
            raise ValueError(
                "OPENSPACE_SECRET_KEY is required when OPENSPACE_ENVIRONMENT=production"
            )
        if self.environment == "production" and len(self.secret_key.get_secret_value()) < 32:  # type: ignore[union-attr]
            raise ValueError("OPENSPACE_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if not self.database_url:
            return f"sqlite:///{self.data_dir / 'openspace.db'}"
        url = self.database_url
        # Plain postgres URLs mean psycopg 3, not the psycopg2 default of SQLAlchemy.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def uploads_path(self) -> Path:
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @cached_property
    def secret(self) -> bytes:
        """The signing key; in development it is generated once and kept under the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()


def get_settings() -> Settings:
    return Settings()
