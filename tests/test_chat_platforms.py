"""The chat platforms' rules without a network: values from data made inert, size limits cut at
whole lines, the reply codes, the pace, the chat settings, and a hand-made team rendered with
a hostile manager, rep and deal name whose summary stays inert on every platform."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from pipeline.config import Config, SettingsError, chat_endpoint, load_config
from pipeline.delivery import platforms
from pipeline.delivery.webhook import Clock, Pacer
from pipeline.errors import ConfigError
from pipeline.report.render import plan_editions, render_reports
from pipeline.warehouse.validate import validate_marts


@pytest.mark.parametrize(("value", "inert"), [
    ("@all", "＠all"),
    ("<@zhangsan>", "＜＠zhangsan＞"),
    ("[点我](http://evil.example.com)", "［点我］(http∶//evil․example․com)"),
    ("**粗体** ~~删~~ `code` _i_", "＊＊粗体＊＊ ～～删～～ ｀code｀ ＿i＿"),
    ("line one\r\n# heading\n> quote", "line one ＃ heading ＞ quote"),
    ('<font color="warning">红</font>', '＜font color="warning"＞红＜/font＞'),
    ("a\x00b\x1b[31mc\u202ed\u200be", "a b ［31mcde"),
    ("visit www.evil.cn or evil.com", "visit www․evil․cn or evil․com"),
    ("&lt;at id=all&gt;", "＆lt;at id=all＆gt;"),
    ("华东一组 · 张伟", "华东一组 · 张伟"),
    ("长" * 80, "长" * 59 + "…"),
])
def test_a_value_from_data_is_made_inert(value, inert):
    assert platforms.inert(value) == inert


def chat_of(lines: int, name: str = "苏州宏图科技有限公司 - 数据平台") -> dict:
    """A summary with `lines` at-risk deals, each naming `name`."""
    return {
        "title": [["d", "赵敏的团队"], ["t", " · 销售日报 · 2026年11月20日"]],
        "subtitle": [["t", "截至 2026年11月20日"]],
        "headline": [{"label": "本季度赢单", "value": "¥1,935,500", "note": "达成率 65.2%"}],
        "sections": [{"heading": "今日行动", "lines": [
            {"style": "item", "segments": [["d", f"{name} {n}"], ["t", " · ¥649,100"]]}
            for n in range(lines)]}],
        "reports": [{"report": "performance", "label": "销售业绩报告",
                     "file": "performance.pdf", "page": "performance.html"}],
        "texts": {"chat_cut": "……受消息长度限制，另有 {count} 行未显示，详见报表",
                  "chat_reports_files": "完整报表随后以文件发送：{files}",
                  "chat_reports_email": "完整报表（{reports}）见今日的报表邮件。",
                  "chat_reports_links": "完整报表：", "list_separator": "、"},
    }


@pytest.mark.parametrize("kind", platforms.PLATFORMS)
def test_a_long_summary_is_cut_at_whole_lines_within_the_platforms_limit(kind):
    total = 1000
    body = platforms.message(kind, chat_of(total))
    build, size = platforms.BUILDERS[kind]
    assert size(body) <= platforms.PLATFORMS[kind].limit
    assert size(body) > platforms.PLATFORMS[kind].limit - 200  # as many lines as fit
    text = json.dumps(body, ensure_ascii=False)
    kept = text.count("苏州宏图科技有限公司 - 数据平台 ")
    assert f"另有 {total - kept} 行未显示" in text
    assert f"数据平台 {kept - 1} · ¥649,100" in text  # the last line kept is whole
    short = platforms.message(kind, chat_of(3))
    assert "未显示" not in json.dumps(short, ensure_ascii=False)


def test_wecom_counts_its_4096_bytes_in_utf8_not_in_characters():
    body = platforms.message("wecom", chat_of(1000, name="長" * 50))
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 < 3 * len(content)
    assert content.encode("utf-8").decode("utf-8") == content


@pytest.mark.parametrize(("kind", "status", "reply", "what"), [
    ("wecom", 200, {"errcode": 0, "errmsg": "ok"}, platforms.OK),
    ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, platforms.RETRY),
    ("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, platforms.FAIL),
    ("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"}, platforms.FAIL),
    ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}, platforms.RETRY),
    ("dingtalk", 200, {"errcode": 777777, "errmsg": "new"}, platforms.FAIL),
    ("feishu", 200, {"code": 0, "data": {}, "msg": "success"}, platforms.OK),
    ("feishu", 200, {"StatusCode": 0, "StatusMessage": "success"}, platforms.OK),
    ("feishu", 200, {"code": 19024, "msg": "Key Words Not Found"}, platforms.FAIL),
    ("feishu", 200, {"code": 11232, "msg": "frequency limited"}, platforms.RETRY),
    ("feishu", 502, "<html>Bad Gateway</html>", platforms.RETRY),
    ("wecom", 429, "", platforms.RETRY),
    ("wecom", 404, "", platforms.FAIL),
    ("dingtalk", 200, "<html>oops</html>", platforms.UNKNOWN),
])
def test_an_http_200_with_an_error_code_is_a_failure_and_only_some_are_retried(
        kind, status, reply, what):
    data = (json.dumps(reply) if isinstance(reply, dict) else reply).encode()
    assert platforms.outcome(kind, status, data)[0] == what


def test_the_pace_keeps_a_robot_under_20_messages_a_minute():
    waits, at = [], [1000.0]
    clock = Clock(now=lambda: at[0], sleep=lambda s: (waits.append(s), at.__setitem__(
        0, at[0] + s)))
    pacer = Pacer(clock)
    for _ in range(25):
        pacer.wait("robot-a", platforms.PLATFORMS["dingtalk"].rate)
        pacer.wait("robot-b", platforms.PLATFORMS["dingtalk"].rate)
        at[0] += 0.5
    # robot a's 21st message waits until its first is a minute old; robot b then needs none
    assert waits == [pytest.approx(50.0)]
    feishu = Pacer(Clock(now=lambda: at[0], sleep=lambda s: (waits.append(s), at.__setitem__(
        0, at[0] + s))))
    waits.clear()
    for _ in range(6):
        feishu.wait("robot-c", platforms.PLATFORMS["feishu"].rate)
    assert waits == [pytest.approx(1.0)]  # Feishu: at most 5 a second


def test_a_bad_chat_target_is_a_setting_error_naming_the_target_and_the_key(tmp_path):
    settings = tmp_path / "pipeline.yaml"
    settings.write_text("""chat:
  - {name: east, kind: wecomm, scope: "1", webhook_env: EAST_URL}
  - {name: east, kind: wecom, scope: "2", webhook_env: https://qyapi.weixin.qq.com/x,
     secret_env: S}
  - {name: north, kind: dingtalk, scope: company, webhook_env: N_URL, files: true,
     langauge: en}
  - {kind: feishu, webhook_env: F_URL}
chat_attempts: 0
""", encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_config(settings)
    problems = refused.value.problems
    where = f"{settings}, line 1: chat: "
    assert problems[:8] == [
        where + "target 1 (east): kind is 'wecomm'; it should be wecom, dingtalk, feishu "
                "(did you mean 'wecom'?)",
        where + "target 2 (east): name 'east' is used by another target",
        where + "target 2 (east): webhook_env is not the name of an environment variable; "
                "it should be one, such as SALES_EAST_DINGTALK_URL, and the address or "
                "secret itself goes in the environment, never in this file",
        where + "target 2 (east): secret_env: WeCom robots do not sign their requests; "
                "leave it out",
        where + "target 3 (north): unknown key 'langauge'; did you mean 'language'?",
        where + "target 3 (north): files: dingtalk group robots cannot send files; leave "
                "it out",
        where + "target 4: name is missing",
        where + "target 4: scope is missing",
    ]
    assert problems[8].startswith(f"{settings}, line 8: chat_attempts is 0")
    assert not any("qyapi" in problem for problem in problems)


def test_a_robots_address_and_secret_come_from_the_environment_and_never_show():
    endpoint = chat_endpoint("URL", "SECRET", {"URL": "https://oapi.dingtalk.com/robot/send?"
                                                       "access_token=abc", "SECRET": "SECxyz"})
    assert endpoint.secret.reveal() == "SECxyz"
    assert "abc" not in repr(endpoint) and "SECxyz" not in repr(endpoint)
    with pytest.raises(ConfigError, match="^URL is not set in the environment"):
        chat_endpoint("URL", "", {})
    with pytest.raises(ConfigError, match="^SECRET is not set"):
        chat_endpoint("URL", "SECRET", {"URL": "https://x.example.com/hook"})
    with pytest.raises(ConfigError, match="not an https:// address") as plain:
        chat_endpoint("URL", "", {"URL": "http://oapi.dingtalk.com/robot/send?access_token=k"})
    assert "access_token" not in str(plain.value)
    assert chat_endpoint("URL", "", {"URL": "http://127.0.0.1:8080/robot/send"}).secret is None


def test_a_chat_target_in_another_language_gets_an_edition_in_it():
    users = pd.DataFrame({"user_id": ["m1"], "name": ["Ma"], "is_manager": [True],
                          "management_level": [1]})
    config = Config(language="zh_CN", chat=(
        {"name": "t", "kind": "feishu", "scope": "m1", "webhook_env": "U", "language": "en"},))
    folders = [e.folder for e in plan_editions(users, [], config)]
    assert folders == ["company", "m1", "m1/en"]


LEAD, REP, DEAL = ("<at user_id=\"all\">所有人</at>", "@all [x](https://evil.example.com)",
                   "**Big** deal\n# now <font color=\"warning\">!</font>")


def test_a_rendered_team_with_hostile_names_posts_them_inert_everywhere(crm, tmp_path):
    crm.person("lead", LEAD).person("r1", REP, manager="lead")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=1234567, created="2026-03-01",
             close="2026-03-10")
    crm.deal("d2", owner="r1", stage="Qualification", amount=5000, created="2026-03-01",
             close="2026-03-15", name=DEAL)
    crm.target("r1", "2026-03", 1447320)
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=tmp_path / "out", language="en", threads=1)
    validate_marts(crm.con, config)
    config = replace(config, chat=(
        {"name": "t", "kind": "wecom", "scope": "lead", "webhook_env": "U"},))
    chat = json.loads((render_reports(crm.con, config) / "lead" / "chat.json").read_text(
        encoding="utf-8"))
    data = [text for kind, text in chat["title"] if kind == "d"] + [
        text for section in chat["sections"] for line in section["lines"]
        for kind, text in line["segments"] if kind == "d"]
    assert any(LEAD in value for value in data)
    assert REP in data and DEAL in data  # the at-risk deal, its owner: marked as data
    assert not any(LEAD in text or REP in text or DEAL in text for section in chat["sections"]
                   for line in section["lines"] for kind, text in line["segments"]
                   if kind == "t")
    for kind in platforms.PLATFORMS:
        seen = json.dumps(platforms.message(kind, chat), ensure_ascii=False)
        for raw in ("<at", "@all", "https://", "**Big", "# now", "<font color=\\\"warning"):
            assert raw not in seen, (kind, raw)
        assert "CN¥1,234,567" in seen and "＠all" in seen


def test_the_codes_in_docs_chat_md_are_the_code_table():
    from pipeline.paths import ROOT

    page = (ROOT / "docs" / "chat.md").read_text(encoding="utf-8")
    done = {"posted": platforms.OK, "retried": platforms.RETRY, "failed": platforms.FAIL}
    documented = {(kind, int(code), done[what]) for kind, code, what in re.findall(
        r"^\| (wecom|dingtalk|feishu) \| (-?\d+) \| [^|]+ \| (\w+) \|$", page, re.M)}
    assert documented == {(kind, code, what) for kind, platform in platforms.PLATFORMS.items()
                          for code, (what, _) in platform.codes.items()}
