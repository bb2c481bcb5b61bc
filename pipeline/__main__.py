"""Command line: `crm-reports COMMAND [options]` (or `python -m pipeline COMMAND ...`);
`--help` lists the commands, `COMMAND --help` shows that command's options and exit codes.

Exit codes: 0 success, 2 usage or configuration error, 3 input rejected, 4 validation
failed, 5 reports published but some email or chat message not delivered, 6 reports
published and sent without a refused file or a recipient who could not be served, 75 another
run holds the output folder, 1 an unexpected error (a bug: please report it with the log).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from pipeline.config import load_config
from pipeline.control.logs import setup_logging
from pipeline.control.run import (
    DRY_RUN,
    OFF,
    SEND,
    STEPS,
    backfill,
    deliver,
    new_run_id,
    refused,
    resend,
    run,
)
from pipeline.control.summary import log_failure
from pipeline.errors import PipelineError

log = logging.getLogger("pipeline")

EXIT_CODES = {
    0: "success",
    1: "an unexpected error (a bug: please report it with the log)",
    2: "usage or configuration error",
    3: "input rejected",
    4: "validation failed",
    5: "reports published, but some email or chat message not delivered",
    6: "published with problems (a file refused, a recipient who could not be served)",
    75: "busy: another run holds the output folder",
}
# what each command does, the options it takes beyond the common ones (--config, --out,
# --log-json, --verbose), and the exit codes it can end with
COMMANDS = {
    "run": ("the whole pipeline: ingest, build, validate, snapshot, report, publish, email",
            ("inbox", "as_of", "mail", "engine"), (0, 2, 3, 4, 5, 6, 75, 1)),
    "ingest": ("only the ingest step: the inbox's exports into the raw_ tables of the "
               "published warehouse", ("inbox", "as_of"), (0, 2, 3, 75, 1)),
    "build": ("only the build step: staging, intermediate and mart tables from the raw_ "
              "tables of the published warehouse", ("inbox", "as_of", "select", "engine"),
              (0, 2, 3, 75, 1)),
    "validate": ("only the validate step: every table of the published warehouse against "
                 "its contract", ("inbox", "as_of"), (0, 2, 3, 4, 75, 1)),
    "snapshot": ("only the snapshot step: the validated state of every deal into "
                 "out/history/", ("inbox", "as_of"), (0, 2, 4, 75, 1)),
    "report": ("only the report step: the reports of the published, validated warehouse",
               ("inbox", "as_of"), (0, 2, 4, 75, 1)),
    "deliver": ("email the published reports of --as-of that are not yet sent",
                ("as_of", "delivery_mail"), (0, 2, 5, 75, 1)),
    "resend": ("send the reports of --as-of to --recipient (an address, or a chat target "
               "kind:name) again, under a new id",
               ("as_of", "recipient"), (0, 2, 5, 75, 1)),
    "backfill": ("the whole pipeline for each date from --from to --to, in order; no email "
                 "unless --dry-run", ("inbox", "dates", "mail"), (0, 2, 3, 4, 6, 75, 1)),
}
assert set(STEPS) < set(COMMANDS)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") \
            from error


def _add_options(parser: argparse.ArgumentParser, groups: tuple[str, ...]) -> None:
    if "inbox" in groups:
        parser.add_argument("--inbox", type=Path, metavar="DIR",
                            help="folder of CRM exports (default: the settings' inbox, "
                                 "else data/sample)")
    if "as_of" in groups:
        parser.add_argument("--as-of", type=_date, dest="as_of", metavar="YYYY-MM-DD",
                            help="the date the run reports as of (default: today in the "
                            "settings' timezone)"
                            if "inbox" in groups else
                            "the date of the published reports (default: today in the "
                            "settings' timezone)")
    if "dates" in groups:
        parser.add_argument("--from", type=_date, dest="first", metavar="YYYY-MM-DD",
                            required=True, help="the first date")
        parser.add_argument("--to", type=_date, dest="last", metavar="YYYY-MM-DD",
                            required=True, help="the last date")
    if "mail" in groups or "delivery_mail" in groups:
        mail = parser.add_mutually_exclusive_group()
        mail.add_argument("--dry-run", dest="mail", action="store_const", const=DRY_RUN,
                          help="write each email to out/outbox/<as-of>/ instead of sending it")
        if "mail" in groups:
            mail.add_argument("--no-mail", dest="mail", action="store_const", const=OFF,
                              help="neither send nor write any email"
                              + (" (the default)" if "dates" in groups else ""))
    if "select" in groups:
        parser.add_argument("--select", "-s", nargs="+", metavar="SELECTOR",
                            help="rebuild only these models, in place: MODEL, +MODEL (and "
                                 "everything upstream), MODEL+ (and everything downstream), "
                                 "+MODEL+ (both); several, separated by spaces, are a union")
    if "engine" in groups:
        parser.add_argument("--engine", metavar="ENGINE",
                            help="where the models run: duckdb (embedded) or spark (on "
                                 "spark_master; docs/SCALING.md); default: the settings' "
                                 "engine, else duckdb")
    if "recipient" in groups:
        parser.add_argument("--recipient", required=True, metavar="ADDRESS",
                            help="the address to send to again, or a chat target as "
                                 "kind:name (wecom:east-team)")
        parser.add_argument("--report", metavar="EDITION",
                            help="only this edition (e.g. company)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings file (default: config/pipeline.yaml, or "
                             "$PIPELINE_CONFIG)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder (default: the settings' out, else out)")
    parser.add_argument("--log-json", action="store_true",
                        help="log JSON lines even on a terminal")
    parser.add_argument("--verbose", action="store_true", help="log every model built")


def _exit_codes(codes: tuple[int, ...]) -> str:
    return "exit codes:\n" + "\n".join(f"  {code:>2}  {EXIT_CODES[code]}"
                                        for code in sorted(codes))


def _program() -> str:
    """How the command was called: `crm-reports`, or `python -m pipeline`."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m pipeline" if name in ("", "__main__.py", "-c") else name


class Parser(argparse.ArgumentParser):
    """Refuses an option the command does not take, naming the commands that do."""

    commands: dict[str, argparse.ArgumentParser]

    def parse_args(self, args=None, namespace=None):
        args, extra = self.parse_known_args(args, namespace)
        if extra:
            self.commands[args.command].error(self._unknown(args.command, extra))
        return args

    def _unknown(self, command: str, extra: list[str]) -> str:
        option = next((a.split("=", 1)[0] for a in extra if a.startswith("-")), None)
        others = [name for name, sub in self.commands.items()
                  if option in sub._option_string_actions]
        if not others:
            return f"unrecognized arguments: {' '.join(extra)}"
        return (f"{command} does not take {option} (an option of {', '.join(others)}); "
                f"`{self.commands[command].prog} --help` lists the options of {command}")


def make_parser(prog: str | None = None) -> Parser:
    prog = prog or _program()
    parser = Parser(prog=prog, description="Nightly CRM exports -> marts -> reports. "
                    f"`{prog} COMMAND --help` shows a command's options.",
                    epilog=_exit_codes(tuple(EXIT_CODES)),
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     title="commands")
    parser.commands = {}
    for name, (description, groups, codes) in COMMANDS.items():
        sub = commands.add_parser(name, help=description, description=description,
                                  epilog=_exit_codes(codes),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_options(sub, groups)
        parser.commands[name] = sub
    return parser


def parse_args(argv: list[str] | None, prog: str | None = None) -> argparse.Namespace:
    parser = make_parser(prog)
    args = parser.parse_args(argv)
    if args.command == "backfill" and args.first > args.last:
        parser.error("backfill: --from is after --to")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = new_run_id()
    setup_logging(run_id, json_lines=args.log_json, verbose=args.verbose)
    mail = getattr(args, "mail", None) or (OFF if args.command == "backfill" else SEND)
    config = None
    try:
        config = load_config(args.config, inbox=getattr(args, "inbox", None), out=args.out,
                             as_of=getattr(args, "as_of", None),
                             engine=getattr(args, "engine", None))
        if args.command == "run":
            run(config, mail=mail, run_id=run_id)
        elif args.command == "deliver":
            deliver(config, mail=mail, run_id=run_id)
        elif args.command == "resend":
            resend(config, args.recipient, args.report, run_id=run_id)
        elif args.command == "backfill":
            backfill(config, args.first, args.last, mail=mail)
        else:
            run(config, (args.command,), run_id=run_id, select=getattr(args, "select", None))
    except PipelineError as error:
        refused(error, args.command, mail, run_id)
        log_failure(run_id, args.command, error, config or getattr(error, "settings", None))
        log.error("%s (exit %d)", error, error.exit_code,
                  extra={"event": "run_failed", "exit_code": error.exit_code})
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
