"""Settings: the mail server from the environment, and every setting of the config file and
the command line checked for its type and form, with a message that names the file, the line,
the key, the value and what it should be."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from datetime import date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline import config as settings
from pipeline.config import Config, Secret, load_config, smtp_settings
from pipeline.control.run import run
from pipeline.errors import ConfigError
from pipeline.paths import ROOT

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
    with pytest.raises(ConfigError, match="churn_risk_tiers is \\['Key'\\]; it should be a list of "
                                          "value tiers A, B or C"):
        load_config(churn_risk_tiers=["Key"])


def settings_file(folder: Path, text: str) -> Path:
    path = folder / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "message"), [
    ("reject_threshold: one percent", "reject_threshold is 'one percent'; it should be a "
     "fraction between 0 and 1, such as 0.01 for 1%"),
    ("reject_threshold: 5", "reject_threshold is 5; it should be a fraction between 0 and 1"),
    ("memory_limit: 3 gigs", "memory_limit is '3 gigs'; it should be an amount of memory, "
     "such as 3GB, 512MB or 2GiB"),
    ("threads: two", "threads is 'two'; it should be a whole number, at least 1"),
    ("threads: 1.5", "threads is 1.5; it should be a whole number, at least 1"),
    ("stages: [Prospecting, Closed Won]", "stages is ['Prospecting', 'Closed Won']; it should "
     "be a mapping of each source name to its list of stages"),
    ("language: fr", "language is 'fr'; it should be zh_CN or en"),
    ("language: EN", "language is 'EN'; it should be zh_CN or en (did you mean 'en'?)"),
    ("rules_file: 5", "rules_file is 5; it should be a path to a file or folder"),
    ("recipients_file: [a.yaml]", "recipients_file is ['a.yaml']; it should be a path"),
    ("sources_dirs: mappings", "sources_dirs is 'mappings'; it should be a list of paths"),
    ("churn_risk_tiers: A", "churn_risk_tiers is 'A'; it should be a list of value tiers A, B "
     "or C, such as [A] or [A, B]"),
    ("churn_risk_tiers: []", "churn_risk_tiers is []; it should be a list of value tiers"),
    ("timezone: Asia/Shangai", "timezone is 'Asia/Shangai'; it should be a time zone name, "
     "such as Asia/Shanghai or Europe/Amsterdam (did you mean 'Asia/Shanghai'?)"),
    ("timezone: UTC+8", "timezone is 'UTC+8'; it should be a time zone name"),
    ("fiscal_year_start_month: 13", "fiscal_year_start_month is 13; it should be the month "
     "the fiscal year starts, a whole number 1-12"),
    ("funnel_window_months: 0", "funnel_window_months is 0; it should be a whole number of "
     "months, at least 1"),
    ("settle_seconds: -1", "settle_seconds is -1; it should be a number of seconds, 0 or more"),
    ("mail_backoff_seconds: soon", "mail_backoff_seconds is 'soon'; it should be a number of "
     "seconds"),
    ("mail_attempts: true", "mail_attempts is True; it should be a whole number, at least 1"),
    ("stale_action: warning", "stale_action is 'warning'; it should be warn or fail (did you "
     "mean 'warn'?)"),
    ("satisfaction_scale: 0-5", "satisfaction_scale is '0-5'; it should be 1-5 or 0-10"),
    ("currency: yuan", "currency is 'yuan'; it should be a three-letter ISO 4217 code"),
    ("tier_a_share: 80%", "tier_a_share is '80%'; it should be a fraction of the won amount, "
     "0 < tier_a_share < tier_b_share < 1, such as 0.80"),
    ("inbox: 20261120", "inbox is 20261120; it should be a path to a file or folder"),
    ("out:", "out is None; it should be a path to a file or folder"),
])
def test_a_setting_of_the_wrong_type_or_form_names_file_line_key_value_and_form(
        tmp_path, line, message):
    path = settings_file(tmp_path, f"language: en\n{line}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.exit_code == 2
    assert str(raised.value).startswith(f"{path}, line 2: {message}")


def test_an_unknown_setting_gets_a_did_you_mean(tmp_path):
    path = settings_file(tmp_path, "reject_treshold: 0.1\n")
    with pytest.raises(ConfigError, match=f"^{path}, line 1: unknown setting "
                                            "'reject_treshold'; did you mean "
                                            "'reject_threshold'\\?$"):
        load_config(path)


def test_an_unknown_setting_with_no_near_name_lists_the_settings(tmp_path):
    path = settings_file(tmp_path, "colour: blue\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'; the settings are "
                                            "channels_file, churn_risk_days, "):
        load_config(path)


def test_the_as_of_date_is_not_a_setting_of_the_file(tmp_path):
    with pytest.raises(ConfigError, match="line 1: unknown setting 'as_of'"):
        load_config(settings_file(tmp_path, "as_of: 2026-11-20\n"))


def test_every_wrong_setting_is_named_at_once_and_the_right_ones_are_kept(tmp_path):
    path = settings_file(tmp_path, "threads: two\nout: reports\nlangauge: en\n"
                                   "recipients_file: people.yaml\nreject_threshold: 1%\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).splitlines() == [
        "3 settings are wrong:",
        f"  {path}, line 1: threads is 'two'; it should be a whole number, at least 1",
        f"  {path}, line 3: unknown setting 'langauge'; did you mean 'language'?",
        f"  {path}, line 5: reject_threshold is '1%'; it should be a fraction between 0 and 1, "
        "such as 0.01 for 1%"]
    kept = raised.value.settings
    assert (kept.out, kept.recipients_file, kept.threads) == (
        tmp_path / "reports", tmp_path / "people.yaml", 2)


@pytest.mark.parametrize(("text", "message"), [
    ("threads: [2\n", "not valid YAML"),
    ("- threads: 2\n", "expected a mapping of settings (key: value lines), got [{'threads': 2}]"),
])
def test_a_file_that_is_not_a_mapping_of_settings_is_refused(tmp_path, text, message):
    path = settings_file(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_a_config_file_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="config file .*nowhere.yaml does not exist"):
        load_config(tmp_path / "nowhere.yaml")


def test_the_command_line_is_checked_as_the_file_is():
    with pytest.raises(ConfigError, match="^the command line: threads is 'two'; it should be "
                                            "a whole number, at least 1$"):
        load_config(threads="two")
    with pytest.raises(ConfigError, match="the command line: as_of is '20 Nov'; it should "
                                            "be a date, YYYY-MM-DD"):
        load_config(as_of="20 Nov")


def test_paths_in_the_file_are_relative_to_its_folder_and_numbers_are_numbers(tmp_path):
    path = settings_file(tmp_path, "inbox: exports\nout: /srv/reports\nsources_dirs: [mine]\n"
                                   "recipients_file: people.yaml\nmail_backoff_seconds: 30\n"
                                   "churn_risk_tiers: [A, B]\n")
    config = load_config(path)
    assert (config.inbox, config.out, config.sources_dirs, config.recipients_file) == (
        tmp_path / "exports", Path("/srv/reports"), (tmp_path / "mine",),
        tmp_path / "people.yaml")
    assert config.mail_backoff_seconds == 30.0 and isinstance(config.mail_backoff_seconds, float)
    assert config.churn_risk_tiers == ("A", "B")
    assert load_config(path, out=tmp_path / "elsewhere").out == tmp_path / "elsewhere"


def test_the_shipped_settings_files_hold():
    for path in (ROOT / "config" / "pipeline.yaml",
                 ROOT / "data" / "sample-config" / "pipeline.yaml"):
        assert load_config(path).language == "zh_CN"


def test_every_setting_has_a_type_its_check_knows():
    """A setting added to Config is checked by its annotation; a type the checks do not know
    would let any value through, so it fails here."""
    for f in fields(Config):
        with pytest.raises(settings._Unlike):
            settings._convert(settings._kinds()[f.name], object(), None)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_without_an_as_of_date_the_run_is_as_of_today_in_the_configured_zone(tmp_path, zone):
    before = datetime.now(ZoneInfo(zone)).date()
    config = load_config(settings_file(tmp_path, f"timezone: {zone}\n"))
    assert config.as_of in {before, datetime.now(ZoneInfo(zone)).date()}
    assert load_config(settings_file(tmp_path, f"timezone: {zone}\n"),
                       as_of=date(2026, 11, 20)).as_of == date(2026, 11, 20)


def test_a_missing_inbox_is_a_usage_error_on_record(tmp_path):
    out = tmp_path / "out"
    config = load_config(inbox=tmp_path / "no-such-inbox", out=out, as_of=date(2026, 11, 20))
    with pytest.raises(ConfigError, match="the inbox .*no-such-inbox does not exist or is not "
                                          "a folder: set `inbox` in the config file") as raised:
        run(config, run_id="missing-inbox")
    assert raised.value.exit_code == 2
    record = json.loads((out / "runs" / "missing-inbox.json").read_text(encoding="utf-8"))
    assert (record["status"], record["exit_code"]) == ("failed", 2)
    assert "no-such-inbox does not exist" in record["error"]


OPS = "allowed_domains: [example.com]\nops: [ops@example.com]\n"


def pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_bad_setting_stops_the_run_on_record_and_tells_ops(tmp_path):
    """As cron meets it: exit 2 with the message and no traceback, the run's record in the out
    folder the file names, and the ops summary (in the outbox with --dry-run)."""
    (tmp_path / "recipients.yaml").write_text(OPS, encoding="utf-8")
    path = settings_file(tmp_path, "out: reports\nrecipients_file: recipients.yaml\n"
                                   "reject_threshold: one percent\n")
    result = pipeline("run", "--config", str(path), "--as-of", "2026-11-20", "--dry-run")
    assert result.returncode == 2, result.stderr[-2000:]
    message = (f"{path}, line 3: reject_threshold is 'one percent'; it should be a fraction "
               "between 0 and 1, such as 0.01 for 1%")
    assert message in result.stderr and "Traceback" not in result.stderr
    [record] = [json.loads(p.read_text(encoding="utf-8"))
                for p in (tmp_path / "reports" / "runs").glob("*.json")]
    assert (record["command"], record["status"], record["exit_code"], record["error"]) == (
        "run", "failed", 2, message)
    [summary] = (tmp_path / "reports" / "outbox" / "2026-11-20").iterdir()
    assert summary.name == "run-failure--ops@example.com.eml"
    body = message_from_bytes(summary.read_bytes(), policy=policy.default).get_content()
    assert "reject_threshold is 'one percent'" in body


def test_a_broken_settings_file_puts_the_record_in_the_out_folder_of_the_command_line(
        tmp_path):
    path = settings_file(tmp_path, "threads: [2\n")
    result = pipeline("ingest", "--config", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr
    [record] = (tmp_path / "out" / "runs").glob("*.json")
    assert json.loads(record.read_text(encoding="utf-8"))["status"] == "failed"


def test_a_run_to_send_without_the_mail_servers_settings_is_on_record(tmp_path, monkeypatch):
    for name in ("SMTP_HOST", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(inbox=tmp_path, out=tmp_path / "out", as_of=date(2026, 11, 20))
    with pytest.raises(ConfigError, match="sending mail needs SMTP_HOST and MAIL_FROM"):
        run(config, mail="send", run_id="no-smtp")
    record = json.loads((tmp_path / "out" / "runs" / "no-smtp.json").read_text(encoding="utf-8"))
    assert (record["status"], record["exit_code"], record["mail"]) == ("failed", 2, "send")
    assert not (tmp_path / "out" / ".lock").exists()  # stopped before any work
