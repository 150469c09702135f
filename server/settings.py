"""Settings: read once from the environment (and an optional .env file), validated up front.

Every problem is reported as a SettingsError naming the variable, so an operator sees
`WAZIFY_PORT: must be an integer from 1 to 65535` rather than a stack trace at first use.
Settings are built by the CLI or by tests and handed to create_app; nothing reads the
environment at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec


class SettingsError(ValueError):
    """A bad or missing setting; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path("wazify-data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://localhost:8000"
    token_keys: tuple[str, ...] = ()
    meta_app_id: str = ""
    meta_app_secrets: tuple[str, ...] = ()
    meta_verify_token: str = ""
    meta_graph_url: str = "https://graph.instagram.com"
    meta_graph_version: str = "v25.0"
    # Instagram Login: the consent page and the code-exchange endpoint (api.instagram.com).
    meta_oauth_authorize_url: str = "https://www.instagram.com/oauth/authorize"
    meta_oauth_token_url: str = "https://api.instagram.com/oauth/access_token"  # noqa: S105
    webhook_max_bytes: int = 5 * 1024 * 1024
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    event_retention_days: int = 30
    # Privacy: raw webhook receipts are kept this long after processing (for admins to
    # replay), audit entries this long; a workspace's deletion waits this grace period
    # (cancellable) and then runs, well within the 30 days the policy promises.
    receipt_retention_days: int = 7
    audit_retention_days: int = 365
    deletion_grace_days: int = 7
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line (wazify.lib.logs)
    # Bearer token that /metrics requires; empty: /metrics is off (404).
    metrics_token: str = ""
    # Replies out: run the sender worker in this process; Meta's per-account rate; how long
    # a send may take before its outcome is unknown; how long an unknown waits for its echo.
    send_worker: bool = True
    send_rate_per_second: int = 100
    send_timeout_seconds: float = 20.0
    send_unknown_deadline_seconds: int = 600
    # History (docs/history.md): how far back an import on connect reaches; Meta's rate for
    # the Conversations API per account; how long webhooks may be silent while replies go
    # out (and, at start-up, since the last webhook) before a resync; run the importer here.
    history_window_days: int = 30
    history_rate_per_second: int = 2
    webhook_silence_minutes: int = 15
    history_worker: bool = True

    # Data exports (docs/export.md): the folder of the files (None: data_dir/exports), how
    # long a finished export's download link lives; the job loop's tuning (tests shorten it).
    export_dir: Path | None = None
    # Attachments sent from the composer (docs/attachments.md): their folder (None:
    # data_dir/uploads), served to Meta at public_url/media/<token>.
    upload_dir: Path | None = None
    export_link_hours: int = 24
    export_poll_seconds: float = 2.0
    export_lease_seconds: float = 60.0
    export_sweep_seconds: float = 600.0
    # Live stream tuning (not read from the environment; tests shorten them).
    realtime_heartbeat_seconds: float = 15
    realtime_validate_seconds: float = 3
    # A websocket ping every so often; unanswered this long, the agent is not reading.
    realtime_ping_seconds: float = 10
    realtime_pong_timeout_seconds: float = 10

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def exports_folder(self) -> Path:
        return self.export_dir or self.data_dir / "exports"

    @property
    def uploads_folder(self) -> Path:
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def _default_data_dir() -> Path:
    # pgserver, when run as root, makes every parent of its data folder world-readable
    # (it runs postgres as a system user that must reach the folder). Under $HOME/.local
    # that would expose root's home, so root gets /var/lib/wazify, where that is harmless.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/wazify")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wazify"


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a minimal .env file: KEY=VALUE lines, # comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        message = f"{name}: must be an integer from {low} to {high}, got {raw!r}"
        raise SettingsError(message) from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: must be an integer from {low} to {high}, got {value}")
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise SettingsError(f"{name}: must be a URL starting with {' or '.join(schemes)}://")
    hosts = parts.netloc.rpartition("@")[2].split(",")  # libpq allows several hosts
    for host in hosts:
        _, colon, port = host.rpartition("]")[2].partition(":")
        if colon and port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise SettingsError(f"{name}: the port must be a number from 1 to 65535")
    return raw


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: must be 1 or 0, got {raw!r}")


def _csv(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _token_keys(env: Mapping[str, str], has_database_url: bool) -> tuple[str, ...]:
    from wazify.lib.crypto import InvalidKey, TokenCipher

    keys = _csv(env, "WAZIFY_TOKEN_KEYS")
    if not keys:
        if has_database_url:
            raise SettingsError(
                "WAZIFY_TOKEN_KEYS: required when DATABASE_URL is set "
                "(generate one with `wazify keys generate`)"
            )
        return ()
    try:
        TokenCipher(keys)
    except InvalidKey as error:
        raise SettingsError(f"WAZIFY_TOKEN_KEYS: {error}") from None
    return keys


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build Settings from the environment; a .env file fills only what is not set."""
    env = dict(read_dotenv(dotenv)) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)

    database_url = _url(env, "DATABASE_URL", ("postgresql", "postgres"))
    redis_url = _url(env, "REDIS_URL", ("redis", "rediss", "unix"))
    public_url = _url(env, "WAZIFY_PUBLIC_URL", ("http", "https"))
    graph_url = _url(env, "META_GRAPH_URL", ("http", "https"))
    authorize_url = _url(env, "META_OAUTH_AUTHORIZE_URL", ("http", "https"))
    token_url = _url(env, "META_OAUTH_TOKEN_URL", ("http", "https"))
    version = env.get("META_GRAPH_VERSION", "").strip() or "v25.0"
    if not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
        raise SettingsError(f"META_GRAPH_VERSION: must look like v25.0, got {version!r}")
    data_dir = env.get("WAZIFY_DATA_DIR", "").strip()
    export_dir = env.get("WAZIFY_EXPORT_DIR", "").strip()
    upload_dir = env.get("WAZIFY_UPLOAD_DIR", "").strip()
    port = _int(env, "WAZIFY_PORT", 8000, 1, 65535)
    log_level = env.get("WAZIFY_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"WAZIFY_LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )
    log_format = env.get("WAZIFY_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise SettingsError(f"WAZIFY_LOG_FORMAT: must be text or json, got {log_format!r}")
    metrics_token = env.get("WAZIFY_METRICS_TOKEN", "").strip()
    if metrics_token and len(metrics_token) < 16:
        raise SettingsError(
            "WAZIFY_METRICS_TOKEN: must be at least 16 characters"
            " (generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        data_dir=Path(data_dir).expanduser() if data_dir else _default_data_dir(),
        host=env.get("WAZIFY_HOST", "").strip() or "127.0.0.1",
        port=port,
        public_url=(public_url or f"http://localhost:{port}").rstrip("/"),
        token_keys=_token_keys(env, database_url is not None),
        meta_app_id=env.get("META_APP_ID", "").strip(),
        meta_app_secrets=_csv(env, "META_APP_SECRETS"),
        meta_verify_token=env.get("META_VERIFY_TOKEN", "").strip(),
        meta_graph_url=(graph_url or "https://graph.instagram.com").rstrip("/"),
        meta_graph_version=version,
        meta_oauth_authorize_url=authorize_url or "https://www.instagram.com/oauth/authorize",
        meta_oauth_token_url=token_url or "https://api.instagram.com/oauth/access_token",
        webhook_max_bytes=_int(env, "WAZIFY_WEBHOOK_MAX_BYTES", 5 * 1024 * 1024, 1024, 100 << 20),
        session_idle_minutes=_int(env, "WAZIFY_SESSION_IDLE_MINUTES", 120, 1, 60 * 24 * 30),
        session_absolute_hours=_int(env, "WAZIFY_SESSION_ABSOLUTE_HOURS", 12, 1, 24 * 90),
        event_retention_days=_int(env, "WAZIFY_EVENT_RETENTION_DAYS", 30, 1, 3650),
        receipt_retention_days=_int(env, "WAZIFY_RECEIPT_RETENTION_DAYS", 7, 1, 90),
        audit_retention_days=_int(env, "WAZIFY_AUDIT_RETENTION_DAYS", 365, 30, 3650),
        deletion_grace_days=_int(env, "WAZIFY_DELETION_GRACE_DAYS", 7, 0, 29),
        export_dir=Path(export_dir).expanduser() if export_dir else None,
        upload_dir=Path(upload_dir).expanduser() if upload_dir else None,
        export_link_hours=_int(env, "WAZIFY_EXPORT_LINK_HOURS", 24, 1, 24 * 30),
        log_level=log_level,
        log_format=log_format,
        metrics_token=metrics_token,
        send_worker=_flag(env, "WAZIFY_SEND_WORKER", True),
        send_rate_per_second=_int(env, "WAZIFY_SEND_RATE", 100, 1, 10_000),
        send_timeout_seconds=float(_int(env, "WAZIFY_SEND_TIMEOUT_SECONDS", 20, 1, 600)),
        send_unknown_deadline_seconds=_int(
            env, "WAZIFY_SEND_UNKNOWN_DEADLINE_SECONDS", 600, 1, 7 * 24 * 3600
        ),
        history_window_days=_int(env, "WAZIFY_HISTORY_DAYS", 30, 1, 365),
        history_rate_per_second=_int(env, "WAZIFY_HISTORY_RATE", 2, 1, 1000),
        webhook_silence_minutes=_int(env, "WAZIFY_WEBHOOK_SILENCE_MINUTES", 15, 1, 7 * 24 * 60),
        history_worker=_flag(env, "WAZIFY_HISTORY_WORKER", True),
    )
