"""Settings: the mail server from the environment, and checks on the config values."""

from __future__ import annotations

import pytest

from pipeline.config import Secret, load_config, smtp_settings
from pipeline.errors import ConfigError

BASE = {"SMTP_HOST": "smtp.example.com", "MAIL_FROM": "reports@example.com"}


def test_defaults_are_starttls_on_587_with_a_timeout():
    settings = smtp_settings(BASE)
    assert (settings.security, settings.port, settings.timeout) == ("starttls", 587, 30.0)


def test_implicit_tls_defaults_to_465():
    assert smtp_settings(BASE | {"SMTP_SECURITY": "tls"}).port == 465


@pytest.mark.parametrize(("env", "message"), [
    ({"MAIL_FROM": "a@example.com"}, "needs SMTP_HOST"),
    (BASE | {"SMTP_SECURITY": "ssl3"}, "SMTP_SECURITY must be one of"),
    (BASE | {"SMTP_SECURITY": "none"}, "only for a server on this machine"),
    (BASE | {"SMTP_HOST": "127.0.0.1", "SMTP_SECURITY": "none", "SMTP_PASSWORD": "pw"},
     "never sent without TLS"),
    (BASE | {"SMTP_PORT": "smtp"}, "must be numbers"),
])
def test_unsafe_or_incomplete_settings_are_refused(env, message):
    with pytest.raises(ConfigError, match=message):
        smtp_settings(env)


def test_the_password_never_shows_in_a_repr():
    settings = smtp_settings(BASE | {"SMTP_USER": "u", "SMTP_PASSWORD": "hunter2-secret"})
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.password)
    assert settings.password.reveal() == "hunter2-secret"
    assert not Secret("")


@pytest.mark.parametrize(("a", "b"), [(0.95, 0.8), (0, 0.9), (0.8, 1)])
def test_customer_tier_shares_must_rise_within_zero_and_one(a, b):
    with pytest.raises(ConfigError, match="0 < tier_a_share < tier_b_share < 1"):
        load_config(tier_a_share=a, tier_b_share=b)


def test_churn_risk_names_value_tiers():
    with pytest.raises(ConfigError, match="churn_risk_tiers lists value tiers"):
        load_config(churn_risk_tiers=["Key"])
