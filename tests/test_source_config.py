"""The shared `[sources.<name>]` reader: missing settings are named with their file and env
var, env vars are read the dlt way, and secrets are registered for redaction."""

from __future__ import annotations

import pytest

from loaders.core.errors import ConfigError, redact
from loaders.sources.meta.settings import load_settings as meta_settings
from loaders.sources.vibe.settings import load_settings as vibe_settings


def test_missing_client_setting_names_file_and_env_var(monkeypatch):
    monkeypatch.setenv("SOURCES__META__CLIENTS__ACME__AD_ACCOUNT_ID", "12345")
    monkeypatch.delenv("SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigError) as err:
        meta_settings(["acme"])
    message = str(err.value)
    assert "sources.meta.clients.acme.access_token is not set" in message
    assert ".dlt/secrets.toml" in message
    assert "SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN" in message


def test_env_values_are_read_and_secrets_redacted(monkeypatch):
    monkeypatch.setenv("SOURCES__META__CLIENTS__ACME__AD_ACCOUNT_ID", "12345")
    monkeypatch.setenv("SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN", "tok-very-secret-1")
    monkeypatch.setenv("SOURCES__META__MAX_DAYS_PER_JOB", "7")
    monkeypatch.setenv("SOURCES__META__POLL_INTERVAL", "0.5")
    settings = meta_settings(["acme"])
    assert settings.client("acme").ad_account_id == "act_12345"
    assert settings.max_days_per_job == 7 and settings.poll_interval == 0.5
    assert "tok-very-secret-1" not in redact("token tok-very-secret-1 leaked")


def test_shared_key_is_the_fallback_and_bad_numbers_are_named(monkeypatch):
    monkeypatch.setenv("SOURCES__VIBE__CLIENTS__ACME__ADVERTISER_ID", "adv-1")
    monkeypatch.setenv("SOURCES__VIBE__API_KEY", "shared-vibe-key-2")
    monkeypatch.delenv("SOURCES__VIBE__CLIENTS__ACME__API_KEY", raising=False)
    assert vibe_settings(["acme"]).client("acme").api_key == "shared-vibe-key-2"
    monkeypatch.setenv("SOURCES__VIBE__POLL_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match=r"sources\.vibe\.poll_timeout must be a number"):
        vibe_settings(["acme"])
