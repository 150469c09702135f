"""Settings: every mistake is a SettingsError naming the variable; defaults; .env handling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wazify.lib.crypto import generate_key
from wazify.settings import Settings, SettingsError, load_settings, read_dotenv

KEY = generate_key()
DB = "postgresql://wazify:pw@db.example:5432/wazify"


def load(env: dict[str, str], dotenv: Path | None = None) -> Settings:
    return load_settings(env, dotenv)


def error_for(env: dict[str, str], dotenv: Path | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        load(env, dotenv)
    return str(caught.value)


@pytest.mark.parametrize(
    ("env", "variable", "detail"),
    [
        ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL", "postgresql"),
        ({"DATABASE_URL": "postgresql://"}, "DATABASE_URL", "postgresql"),
        ({"DATABASE_URL": "db.example:5432"}, "DATABASE_URL", "postgresql"),
        ({"DATABASE_URL": "postgresql://u:p@h:99999/db"}, "DATABASE_URL", "port"),
        ({"DATABASE_URL": "postgresql://u:p@h:abc/db"}, "DATABASE_URL", "port"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL", "redis"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL", "redis"),
        ({"REDIS_URL": "redis://localhost:70000/0"}, "REDIS_URL", "port"),
        ({"WAZIFY_PORT": "eighty"}, "WAZIFY_PORT", "'eighty'"),
        ({"WAZIFY_PORT": "80.5"}, "WAZIFY_PORT", "integer"),
        ({"WAZIFY_PORT": "0"}, "WAZIFY_PORT", "from 1 to 65535"),
        ({"WAZIFY_PORT": "65536"}, "WAZIFY_PORT", "from 1 to 65535"),
        ({"WAZIFY_PORT": "-1"}, "WAZIFY_PORT", "from 1 to 65535"),
        ({"WAZIFY_PUBLIC_URL": "inbox.example.com"}, "WAZIFY_PUBLIC_URL", "http"),
        ({"WAZIFY_PUBLIC_URL": "ftp://inbox.example.com"}, "WAZIFY_PUBLIC_URL", "http"),
        ({"META_GRAPH_URL": "graph.instagram.com"}, "META_GRAPH_URL", "http"),
        ({"META_GRAPH_URL": "ws://graph.instagram.com"}, "META_GRAPH_URL", "http"),
        ({"META_GRAPH_VERSION": "25.0"}, "META_GRAPH_VERSION", "v25.0"),
        ({"META_GRAPH_VERSION": "v"}, "META_GRAPH_VERSION", "v25.0"),
        ({"META_GRAPH_VERSION": "vX.0"}, "META_GRAPH_VERSION", "'vX.0'"),
        ({"WAZIFY_TOKEN_KEYS": "not-a-key"}, "WAZIFY_TOKEN_KEYS", "malformed"),
        ({"WAZIFY_TOKEN_KEYS": f"{KEY},short"}, "WAZIFY_TOKEN_KEYS", "key #2"),
        ({"WAZIFY_TOKEN_KEYS": f"{KEY},{KEY}"}, "WAZIFY_TOKEN_KEYS", "listed twice"),
        ({"DATABASE_URL": DB}, "WAZIFY_TOKEN_KEYS", "required when DATABASE_URL is set"),
        ({"DATABASE_URL": DB, "WAZIFY_TOKEN_KEYS": " , "}, "WAZIFY_TOKEN_KEYS", "required"),
        ({"WAZIFY_LOG_LEVEL": "verbose"}, "WAZIFY_LOG_LEVEL", "'VERBOSE'"),
        ({"WAZIFY_LOG_LEVEL": "CRITICAL"}, "WAZIFY_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR"),
        ({"WAZIFY_WEBHOOK_MAX_BYTES": "10"}, "WAZIFY_WEBHOOK_MAX_BYTES", "from 1024"),
        ({"WAZIFY_SESSION_IDLE_MINUTES": "x"}, "WAZIFY_SESSION_IDLE_MINUTES", "integer"),
        ({"WAZIFY_SESSION_ABSOLUTE_HOURS": "0"}, "WAZIFY_SESSION_ABSOLUTE_HOURS", "from 1"),
        ({"WAZIFY_EVENT_RETENTION_DAYS": "3651"}, "WAZIFY_EVENT_RETENTION_DAYS", "to 3650"),
        ({"WAZIFY_EXPORT_LINK_HOURS": "0"}, "WAZIFY_EXPORT_LINK_HOURS", "from 1 to 720"),
    ],
)
def test_each_mistake_names_its_variable(env: dict[str, str], variable: str, detail: str) -> None:
    message = error_for(env)
    assert message.startswith(f"{variable}:"), message
    assert detail in message


def test_a_bad_url_error_never_echoes_its_password() -> None:
    message = error_for({"DATABASE_URL": "mysql://bob:s3cretpw@h/db"})
    assert "s3cretpw" not in message


def test_a_malformed_token_key_is_not_echoed() -> None:
    bad = KEY[:-2] + "!="
    message = error_for({"WAZIFY_TOKEN_KEYS": bad})
    assert message.startswith("WAZIFY_TOKEN_KEYS:")
    assert bad not in message


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the default data dir's base
    settings = load({})
    assert settings.database_url is None and settings.embedded_database
    assert settings.redis_url is None
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.public_url == "http://localhost:8000"
    assert settings.secure_cookies is False
    assert settings.token_keys == ()
    assert settings.meta_app_id == "" and settings.meta_app_secrets == ()
    assert settings.meta_verify_token == ""
    assert settings.meta_graph_url == "https://graph.instagram.com"
    assert settings.meta_graph_version == "v25.0"
    assert settings.webhook_max_bytes == 5 * 1024 * 1024
    assert settings.session_idle_minutes == 120
    assert settings.session_absolute_hours == 12
    assert settings.event_retention_days == 30
    assert settings.log_level == "INFO"
    if os.geteuid() == 0:  # pgserver's root caveat: never under root's home
        assert settings.data_dir == Path("/var/lib/wazify")
    else:
        assert settings.data_dir == tmp_path / "wazify"


def test_every_variable_is_read() -> None:
    second = generate_key()
    settings = load(
        {
            "DATABASE_URL": DB,
            "REDIS_URL": "redis://127.0.0.1:6379/2",
            "WAZIFY_DATA_DIR": "/srv/wazify",
            "WAZIFY_HOST": "0.0.0.0",  # noqa: S104
            "WAZIFY_PORT": "9001",
            "WAZIFY_PUBLIC_URL": "https://inbox.example.com/",
            "WAZIFY_TOKEN_KEYS": f"{KEY},{second}",
            "META_APP_ID": " 123 ",
            "META_APP_SECRETS": "new-secret,old-secret",
            "META_VERIFY_TOKEN": "verify",
            "META_GRAPH_URL": "http://127.0.0.1:9999/",
            "META_GRAPH_VERSION": "v26.1",
            "WAZIFY_WEBHOOK_MAX_BYTES": "2048",
            "WAZIFY_SESSION_IDLE_MINUTES": "30",
            "WAZIFY_SESSION_ABSOLUTE_HOURS": "8",
            "WAZIFY_EVENT_RETENTION_DAYS": "7",
            "WAZIFY_EXPORT_DIR": "/srv/exports",
            "WAZIFY_UPLOAD_DIR": "/srv/uploads",
            "WAZIFY_EXPORT_LINK_HOURS": "48",
            "WAZIFY_LOG_LEVEL": "debug",
        }
    )
    assert settings == Settings(
        database_url=DB,
        redis_url="redis://127.0.0.1:6379/2",
        data_dir=Path("/srv/wazify"),
        host="0.0.0.0",  # noqa: S104
        port=9001,
        public_url="https://inbox.example.com",
        token_keys=(KEY, second),
        meta_app_id="123",
        meta_app_secrets=("new-secret", "old-secret"),
        meta_verify_token="verify",
        meta_graph_url="http://127.0.0.1:9999",
        meta_graph_version="v26.1",
        webhook_max_bytes=2048,
        session_idle_minutes=30,
        session_absolute_hours=8,
        event_retention_days=7,
        export_dir=Path("/srv/exports"),
        export_link_hours=48,
        upload_dir=Path("/srv/uploads"),
        log_level="DEBUG",
    )
    assert settings.exports_folder == Path("/srv/exports")
    assert settings.uploads_folder == Path("/srv/uploads")
    assert settings.secure_cookies is True
    assert not settings.embedded_database


def test_uploads_go_under_the_data_folder_by_default() -> None:
    assert load({"WAZIFY_DATA_DIR": "/srv/w"}).uploads_folder == Path("/srv/w/uploads")


def test_public_url_follows_the_port_by_default() -> None:
    assert load({"WAZIFY_PORT": "8123"}).public_url == "http://localhost:8123"


def test_accepted_url_forms() -> None:
    for url in (
        "postgres://u:p@h/db",
        "postgresql:///wazify?host=/var/run/postgresql",
        "postgresql://u:p@h1:5432,h2:5433/db",
        "postgresql://u:p@[::1]:5432/db",
    ):
        assert load({"DATABASE_URL": url, "WAZIFY_TOKEN_KEYS": KEY}).database_url == url
    for url in ("rediss://h:6380/0", "unix:///run/redis.sock"):
        assert load({"REDIS_URL": url}).redis_url == url


def test_comma_lists_trim_spaces_and_skip_empty_items() -> None:
    second = generate_key()
    settings = load(
        {
            "WAZIFY_TOKEN_KEYS": f" {KEY} ,, {second},",
            "META_APP_SECRETS": " a , ,b,",
        }
    )
    assert settings.token_keys == (KEY, second)
    assert settings.meta_app_secrets == ("a", "b")


def test_empty_values_mean_the_default() -> None:
    settings = load({"WAZIFY_PORT": " ", "WAZIFY_LOG_LEVEL": "", "DATABASE_URL": ""})
    assert settings.port == 8000 and settings.log_level == "INFO"
    assert settings.database_url is None


def test_dotenv_fills_only_what_the_environment_lacks(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\n"
        "\n"
        "WAZIFY_PORT=9000\n"
        "export WAZIFY_HOST = 10.0.0.5\n"
        "META_APP_ID='from-dotenv'\n"
        'META_VERIFY_TOKEN="quoted value"\n'
        "WAZIFY_LOG_LEVEL=warning\n"
    )
    settings = load({"WAZIFY_PORT": "9100", "META_APP_ID": "from-env"}, dotenv)
    assert settings.port == 9100  # the environment wins
    assert settings.meta_app_id == "from-env"
    assert settings.host == "10.0.0.5"  # .env fills the rest
    assert settings.meta_verify_token == "quoted value"
    assert settings.log_level == "WARNING"


def test_dotenv_values_are_validated_like_the_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("WAZIFY_PORT=huge\n")
    assert error_for({}, dotenv).startswith("WAZIFY_PORT:")


def test_dotenv_parse_error_names_the_file_and_line(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("WAZIFY_PORT=9000\n# fine\nthis line has no equals sign\n")
    message = error_for({}, dotenv)
    assert message == f"{dotenv}:3: expected KEY=VALUE"
    dotenv.write_text("=value\n")
    assert error_for({}, dotenv) == f"{dotenv}:1: expected KEY=VALUE"


def test_missing_dotenv_is_fine(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / "absent.env") == {}
    assert load({}, tmp_path / "absent.env").port == 8000
