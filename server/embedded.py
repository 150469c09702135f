"""The embedded default: a real PostgreSQL kept in the data directory when no DATABASE_URL
is set, and a token key generated once and kept beside it.

pgserver runs an ordinary PostgreSQL binary shipped in its wheel (one SQL dialect
everywhere, unlike SQLite). Caveats, documented in the README: as root it creates a system
user and makes every parent folder of the data directory world-readable, so root's
default data directory is /var/lib/wazify; its only extensions are plpgsql and vector.
"""

from __future__ import annotations

import logging
import os
import stat
import warnings
from pathlib import Path

import msgspec

from wazify.lib.crypto import generate_key, parse_keys
from wazify.settings import Settings

log = logging.getLogger("wazify.embedded")

DATABASE_NAME = "wazify"
KEYS_FILE = "token_keys"


class EmbeddedError(RuntimeError):
    """The embedded database could not be started; the message says why."""


def _postgres_folder(data_dir: Path) -> Path:
    return data_dir / "postgres"


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or attach to) the data directory's PostgreSQL; return a URL to our database.

    pgserver keeps the server running while any process holding it lives, so a CLI command
    run beside `wazify serve` shares the same server instead of starting a second one.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, containers): harmless.
        warnings.simplefilter("ignore")
        import pgserver

    folder = _postgres_folder(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(folder, cleanup_mode="stop")
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    except Exception as error:
        raise EmbeddedError(
            f"could not start the embedded PostgreSQL in {folder}: {error}"
        ) from error
    return server.get_uri(DATABASE_NAME)


def embedded_token_keys(data_dir: Path) -> tuple[str, ...]:
    """The data directory's token keys, newest first; one is generated on first use."""
    path = data_dir / KEYS_FILE
    if not path.exists():
        add_embedded_token_key(data_dir)
    keys = parse_keys(path.read_text())
    if not keys:
        raise EmbeddedError(f"{path} holds no token key")
    return tuple(keys)


def add_embedded_token_key(data_dir: Path) -> str:
    """Generate a new newest key, keeping the older ones so existing secrets stay readable."""
    path = data_dir / KEYS_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    older = parse_keys(path.read_text()) if path.exists() else []
    key = generate_key()
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(",".join([key, *older]) + "\n")
    os.replace(temporary, path)
    return key


def resolve_settings(settings: Settings) -> Settings:
    """Settings with a concrete database URL and token keys: the embedded ones when none
    are configured."""
    database_url = settings.database_url
    keys = settings.token_keys
    if database_url is None:
        database_url = start_embedded_postgres(settings.data_dir)
        if not keys:
            keys = embedded_token_keys(settings.data_dir)
    return msgspec.structs.replace(settings, database_url=database_url, token_keys=keys)
