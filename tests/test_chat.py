"""Chat delivery against a loopback HTTP server that answers as WeCom, DingTalk and Feishu group
robots do (tests/chatserver.py): the sample's published run, one robot per team, email to a
real SMTP server beside them; signatures checked with the test's secrets; the platforms'
error codes (rate limit, bad signature, missing keyword), a 5xx and a dropped connection."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import pytest

from pipeline.control.summary import summary, text
from pipeline.delivery import platforms
from pipeline.delivery.deliver import deliver_reports, resend
from pipeline.delivery.delivery_log import DeliveryLog
from pipeline.delivery.webhook import Clock
from pipeline.errors import DeliveryFailed
from pipeline.report.i18n import Locale
from pipeline.warehouse.db import open_warehouse
from tests import chatserver, mailserver

AS_OF = "2026-11-20"
EAST_1, EAST_2, NORTH_SOUTH = "5743045000010000004", "5743045000010000005", "5743045000010000003"
SECRET_DING, SECRET_FEISHU = "SEC0123456789abcdef-ding", "feishu-test-secret"
TARGETS = (
    {"name": "east-1", "kind": "wecom", "scope": EAST_1, "webhook_env": "EAST1_WECOM_URL"},
    {"name": "east-2", "kind": "dingtalk", "scope": EAST_2, "webhook_env": "EAST2_DING_URL",
     "secret_env": "EAST2_DING_SECRET", "keyword": "晨报"},
    {"name": "north-south", "kind": "feishu", "scope": int(NORTH_SOUTH), "language": "en",
     "webhook_env": "NS_FEISHU_URL", "secret_env": "NS_FEISHU_SECRET"},
    {"name": "company", "kind": "dingtalk", "scope": "company",
     "webhook_env": "COMPANY_DING_URL"},
)


class FakeClock(Clock):
    """Real time that moves only when the code waits; every wait recorded."""

    def __init__(self) -> None:
        import time
        self.at, self.waits = time.time(), []
        super().__init__(now=lambda: self.at, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.at += seconds


@pytest.fixture(scope="module")
def robots():
    server, httpd = chatserver.start()
    yield server
    httpd.shutdown()


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    server, controller = mailserver.start(tmp_path_factory.mktemp("smtp"))
    yield server
    controller.stop()


@pytest.fixture
def published(sample_run, tmp_path, robots, smtp, monkeypatch):
    """A copy of the sample's published run with its own delivery log; four robots on
    loopback, one per team and one for the company, their addresses and secrets in the
    environment; the SMTP server's settings too."""
    out = tmp_path / "out"
    shutil.copytree(sample_run.reports_dir / AS_OF, out / "reports" / AS_OF)
    robots.reset()
    smtp.reset()
    env = {
        "EAST1_WECOM_URL": robots.robot("wecom", "k-east-1"),
        "EAST2_DING_URL": robots.robot("dingtalk", "t-east-2", secret=SECRET_DING,
                                       keyword="晨报"),
        "EAST2_DING_SECRET": SECRET_DING,
        "NS_FEISHU_URL": robots.robot("feishu", "h-north-south", secret=SECRET_FEISHU),
        "NS_FEISHU_SECRET": SECRET_FEISHU,
        "COMPANY_DING_URL": robots.robot("dingtalk", "t-company", keyword="销售日报"),
        **smtp.env(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return replace(sample_run, out=out, chat=TARGETS, chat_attempts=3,
                   chat_backoff_seconds=5, mail_backoff_seconds=0.01, mail_attempts=2)


def rows(config) -> dict[tuple[str, str], tuple]:
    with DeliveryLog(config.delivery_log, "test") as book:
        return {(d.recipient, d.report): (d.status, d.attempts, d.last_error, d.message_id)
                for d in book.all(config.as_of.isoformat()) if ":" in d.recipient}


def content(post) -> str:
    """What a group sees of a message: its markdown, or every text of its card."""
    if post.kind == "feishu":
        return json.dumps(post.body["card"], ensure_ascii=False)
    if post.body["msgtype"] == "file":
        return ""
    return post.body["markdown"].get("title", "") + post.body["markdown"].get(
        "text", post.body["markdown"].get("content", ""))


def mart(config, sql: str, params: list) -> list[tuple]:
    con = open_warehouse(config.published_warehouse, read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def scope_reps(config, scope: str) -> set[str]:
    return {name for (name,) in mart(config, "select distinct owner_name from "
                                     "rpt_discipline_scope_reps where scope_id = ?", [scope])}


def test_each_teams_robot_gets_one_message_with_its_own_numbers_and_a_rerun_sends_none(
        published, robots, smtp, sample_run):
    clock = FakeClock()
    deliver_reports(published, "run-1", dry_run=False, clock=clock)
    summaries = {t: [p for p in robots.to(t) if p.body.get("msgtype") != "file"]
                 for t in ("k-east-1", "t-east-2", "h-north-south", "t-company")}
    assert {t: len(found) for t, found in summaries.items()} == dict.fromkeys(summaries, 1)
    # the signed robots' signatures verified with the test's secrets
    assert summaries["t-east-2"][0].signed and summaries["h-north-south"][0].signed
    # every email went too
    assert len(smtp.received) == len(json.loads(
        (published.reports_dir / AS_OF / "recipients.json").read_text(encoding="utf-8")))

    zh, en = Locale("zh_CN", "CNY"), Locale("en", "CNY")
    sample_config = replace(published, out=sample_run.out)
    everyone = scope_reps(sample_config, "company")
    for token, scope, locale in (("k-east-1", EAST_1, zh), ("t-east-2", EAST_2, zh),
                                 ("h-north-south", NORTH_SOUTH, en),
                                 ("t-company", "company", zh)):
        seen = content(summaries[token][0])
        [(won, target, commit)] = mart(sample_config, """
            select performance.won_amount, performance.target_won_amount,
                forecast.commit_amount
            from rpt_scope_performance as performance
            inner join rpt_forecast as forecast
                on forecast.scope_id = performance.scope_id and forecast.owner_id is null
            where performance.scope_id = ? and performance.owner_id is null
                and performance.period_kind = 'quarter_to_date'""", [scope])
        for number in (won, target, commit):
            assert locale.money(number) in seen, (token, locale.money(number))
        others = everyone - scope_reps(sample_config, scope)
        assert not [name for name in others if name in seen], token
        at_risk = mart(sample_config, "select deal_name from rpt_scope_at_risk_deals "
                       "where scope_id = ? and risk_rank = 1", [scope])
        for (deal,) in at_risk:
            assert platforms.inert(deal) in seen, token
    assert "晨报 ·" in content(summaries["t-east-2"][0])  # the robot's keyword, put in
    assert "Sales daily" in content(summaries["h-north-south"][0])

    # WeCom takes files from a robot: the three PDFs follow the summary
    files = [p for p in robots.to("k-east-1") if p.body.get("msgtype") == "file"]
    names = sorted(robots.uploads[p.body["file"]["media_id"]][0] for p in files)
    assert names == ["discipline-2026-11-20.pdf", "funnel_loss-2026-11-20.pdf",
                     "performance-2026-11-20.pdf"]
    pdf = robots.uploads[files[0].body["file"]["media_id"]][1]
    assert pdf.startswith(b"%PDF")
    assert "follow as files" not in content(summaries["k-east-1"][0])  # in Chinese
    assert "完整报表随后以文件发送" in content(summaries["k-east-1"][0])
    assert "今日的报表邮件" in content(summaries["t-company"][0])

    logged = rows(published)
    assert {status for status, *_ in logged.values()} == {"sent"}
    assert set(logged) == {
        ("wecom:east-1", EAST_1), *(("wecom:east-1", f"{EAST_1}#{r}.pdf")
                                    for r in ("performance", "funnel_loss", "discipline")),
        ("dingtalk:east-2", EAST_2), ("feishu:north-south", f"{NORTH_SOUTH}/en"),
        ("dingtalk:company", "company")}
    posted = len(robots.posted)
    deliver_reports(published, "run-2", dry_run=False, clock=clock)
    assert len(robots.posted) == posted
    assert rows(published) == logged
    assert clock.waits == []  # a few messages per robot: the pace never waits


def test_rate_limit_codes_are_retried_with_backoff_and_the_message_posted_once(
        published, robots):
    robots.fail("t-east-2", "rate", times=2)
    robots.fail("h-north-south", "rate")
    clock = FakeClock()
    deliver_reports(published, "run-1", dry_run=False, clock=clock)
    assert len(robots.to("t-east-2")) == 1 and len(robots.to("h-north-south")) == 1
    logged = rows(published)
    assert logged[("dingtalk:east-2", EAST_2)][:2] == ("sent", 3)
    assert logged[("feishu:north-south", f"{NORTH_SOUTH}/en")][:2] == ("sent", 2)
    assert sorted(clock.waits) == [5, 5, 10]  # chat_backoff_seconds, then twice that


def test_a_5xx_is_retried_until_the_attempts_run_out_and_the_next_run_tries_again(
        published, robots, smtp):
    robots.fail("t-company", "5xx", times=3)
    with pytest.raises(DeliveryFailed, match=r"dingtalk:company \(company\): failed, gave "
                                             r"up after 3 attempts: HTTP 502"):
        deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    assert robots.to("t-company") == []
    assert len(robots.to("t-east-2")) == 1 and smtp.received  # the others went
    deliver_reports(published, "run-2", dry_run=False, clock=FakeClock())
    assert len(robots.to("t-company")) == 1
    assert len(robots.to("t-east-2")) == 1


@pytest.mark.parametrize(("env", "value", "code"), [
    ("EAST2_DING_SECRET", "SEC-not-the-robots", "errcode 310000 (sign not match)"),
    ("NS_FEISHU_SECRET", "not-the-robots", "code 19021 (sign match fail"),
])
def test_a_signature_the_robot_refuses_fails_that_robot_only_and_is_not_retried(
        published, robots, smtp, monkeypatch, env, value, code):
    monkeypatch.setenv(env, value)
    with pytest.raises(DeliveryFailed) as failed:
        deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    assert code in str(failed.value) and value not in str(failed.value)
    refused = [key for key, row in rows(published).items() if row[0] != "sent"]
    assert len(refused) == 1
    assert rows(published)[refused[0]][:2] == ("failed", 1)
    assert len(robots.posted) == 3 + 3  # the three other robots, and WeCom's three files
    assert smtp.received


def test_a_robot_with_keyword_security_refuses_a_message_without_its_keyword(
        published, robots):
    config = replace(published, chat=tuple(
        {**t, "keyword": ""} if t["name"] == "east-2" else t for t in TARGETS))
    with pytest.raises(DeliveryFailed, match=r"errcode 310000 \(keywords not in content\): "
                                             r"the robot's security settings refused"):
        deliver_reports(config, "run-1", dry_run=False, clock=FakeClock())
    assert rows(config)[("dingtalk:east-2", EAST_2)][:2] == ("failed", 1)
    # the company robot's keyword, 销售日报, is the summary's own heading: it went
    assert len(robots.to("t-company")) == 1


def test_an_unset_variable_fails_its_target_only_and_a_later_run_sends_it(
        published, robots, smtp, monkeypatch):
    monkeypatch.delenv("EAST1_WECOM_URL")
    with pytest.raises(DeliveryFailed, match="EAST1_WECOM_URL is not set in the environment"):
        deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    assert {key[0] for key, row in rows(published).items() if row[0] == "failed"} == {
        "wecom:east-1"}
    assert robots.to("k-east-1") == [] and len(robots.to("t-company")) == 1
    assert smtp.received
    monkeypatch.setenv("EAST1_WECOM_URL", robots.url("k-east-1"))
    deliver_reports(published, "run-2", dry_run=False, clock=FakeClock())
    assert len(robots.to("k-east-1")) == 4  # the summary and its three files


def test_a_mail_server_that_refuses_us_stops_no_robot(published, robots, smtp, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    with pytest.raises(DeliveryFailed):
        deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    assert smtp.received == []
    assert len([p for p in robots.posted if p.body.get("msgtype") != "file"]) == 4


def test_a_dropped_connection_is_unknown_never_posted_again_but_resend_posts_it_anew(
        published, robots):
    robots.fail("h-north-south", "drop")
    with pytest.raises(DeliveryFailed, match="feishu:north-south .*: unknown, no reply"):
        deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    key = ("feishu:north-south", f"{NORTH_SOUTH}/en")
    status, attempts, _, first_id = rows(published)[key]
    assert (status, attempts) == ("unknown", 1)
    deliver_reports(published, "run-2", dry_run=False, clock=FakeClock())
    assert robots.to("h-north-south") == []
    assert rows(published)[key][0] == "unknown"

    resend(published, "run-3", "feishu:north-south", clock=FakeClock())
    status, attempts, _, new_id = rows(published)[key]
    assert (status, attempts, len(robots.to("h-north-south"))) == ("sent", 1, 1)
    assert new_id != first_id


def test_resend_to_a_wecom_robot_posts_its_summary_and_files_again(published, robots):
    deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    resend(published, "run-2", "wecom:east-1", EAST_1, clock=FakeClock())
    assert len(robots.to("k-east-1")) == 8
    assert len(robots.to("t-east-2")) == 1


HOSTILE = ("[点我](http://evil.example.com/x) @all <@all> <at user_id=\"all\">所有人</at>\r\n"
           "# 标题 **粗体** <font color=\"warning\">红</font> ![i](https://x.io/a.png) "
           "\x00\x1b[31m\u202eevil.com www.evil.cn " + "长" * 300)


def test_a_hostile_name_arrives_inert_on_every_platform(published, robots):
    folder = published.reports_dir / AS_OF
    for edition in (EAST_1, EAST_2, f"{NORTH_SOUTH}/en", "company"):
        path = folder / edition / "chat.json"
        chat = json.loads(path.read_text(encoding="utf-8"))
        chat["title"] = [["d", HOSTILE], ["t", " · 销售日报"]]
        for section in chat["sections"]:
            for line in section["lines"]:
                line["segments"] = [[kind, HOSTILE if kind == "d" else text]
                                    for kind, text in line["segments"]]
        chat["sections"][-1]["lines"].append({"style": "item", "segments": [["d", HOSTILE]]})
        path.write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")
    deliver_reports(published, "run-1", dry_run=False, clock=FakeClock())
    summaries = [p for p in robots.posted if p.body.get("msgtype") != "file"]
    assert len(summaries) == 4
    for post in summaries:
        seen = content(post)
        assert "@all" not in seen and "<@" not in seen and "<at" not in seen
        assert "http://" not in seen and "https://" not in seen and "](" not in seen
        assert "evil.com" not in seen and "www.evil" not in seen
        assert "<font color=\"warning\">红" not in seen and "**粗体" not in seen
        assert not re.search(r"[\x00-\x08\x0b-\x1f\u202e]", seen)
        assert "\n# " not in seen and "长" * 60 not in seen
        assert "＜at user＿id" in seen and "［点我］" in seen  # still readable
        assert "at_mobiles" not in json.dumps(post.body) and "isAtAll" not in json.dumps(
            post.body)


def test_the_dry_run_writes_each_request_to_the_outbox_and_no_secret(published, robots):
    deliver_reports(published, "run-1", dry_run=True)
    outbox = published.outbox_dir / AS_OF
    written = sorted(p.name for p in outbox.glob("chat--*.json"))
    assert len(written) == 7  # four summaries, and WeCom's three files
    assert robots.posted == [] and robots.requests == []
    assert not published.delivery_log.exists()
    for name in written:
        request = (outbox / name).read_text(encoding="utf-8")
        assert "127.0.0.1" not in request and SECRET_DING not in request
        assert SECRET_FEISHU not in request
    feishu = json.loads((outbox / f"chat--feishu--north-south--{NORTH_SOUTH}-en.json")
                        .read_text(encoding="utf-8"))
    assert feishu["url"] == "$NS_FEISHU_URL" and feishu["signed_with"] == "$NS_FEISHU_SECRET"
    assert feishu["body"]["msg_type"] == "interactive"


def test_the_run_summary_counts_chat_messages_apart_from_email(published, tmp_path):
    manifest = {"run_id": "r", "command": "deliver", "as_of": AS_OF, "status": "succeeded",
                "exit_code": 5, "error": None, "steps": {"deliver": 1.0}, "out": str(tmp_path),
                "outputs": {}, "mail": "send", "emails": [
                    {"recipient": "a@example.com", "report": "company", "status": "sent"},
                    {"recipient": "wecom:east-1", "report": EAST_1, "status": "sent"},
                    {"recipient": "dingtalk:company", "report": "company",
                     "status": "failed"}]}
    fields = summary(manifest, tmp_path / "r.json")
    assert fields["emails"] == {"sent": 1}
    assert fields["chat"] == {"sent": 1, "failed": 1}
    assert "  chat:       1 failed, 1 sent" in text(fields)


def test_a_target_whose_scope_the_run_does_not_have_fails_alone(published, robots):
    config = replace(published, chat=(*TARGETS, {
        "name": "gone", "kind": "feishu", "scope": "5743045000010000099",
        "webhook_env": "NS_FEISHU_URL"}))
    with pytest.raises(DeliveryFailed, match=r"feishu:gone \(5743045000010000099/zh_CN\): "
                                             r"failed, the run has no zh_CN edition of scope"):
        deliver_reports(config, "run-1", dry_run=False, clock=FakeClock())
    assert len([p for p in robots.posted if p.body.get("msgtype") != "file"]) == 4


def test_deliver_on_the_command_line_exits_5_counts_chat_and_logs_no_address_or_secret(
        published, robots, smtp, tmp_path, monkeypatch):
    import subprocess
    import sys

    import yaml

    from pipeline.paths import ROOT

    settings = tmp_path / "pipeline.yaml"
    settings.write_text(yaml.safe_dump({"chat": list(TARGETS), "chat_backoff_seconds": 0},
                                       allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("EAST2_DING_SECRET", "SEC-wrong-secret")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "deliver", "--config", str(settings),
         "--out", str(published.out), "--as-of", AS_OF], cwd=ROOT, capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 5, result.stderr[-2000:]
    [ended] = [json.loads(line) for line in result.stderr.splitlines()
               if '"run_summary"' in line]
    assert ended["chat"] == {"sent": 6, "failed": 1}
    assert ended["emails"] == {"sent": len(smtp.received)}
    assert "dingtalk:east-2" in result.stderr and "310000" in result.stderr
    for secret in ("SEC-wrong-secret", SECRET_FEISHU, "k-east-1", "t-east-2", "h-north-south",
                   str(robots.port)):
        assert secret not in result.stderr
    assert len([p for p in robots.posted if p.body.get("msgtype") != "file"]) == 3
