"""Command line: `python -m pipeline COMMAND [options]`; `--help` lists the commands.

Exit codes: 0 success, 2 usage or configuration error, 3 input rejected, 4 validation
failed, 5 reports published but some email not delivered, 6 reports published and sent
without a refused file or a recipient who could not be served, 75 another run holds the output
folder, 1 an unexpected error (a bug: please report it with the log).
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
from pipeline.errors import PipelineError

log = logging.getLogger("pipeline")

EXIT_CODES = ("Exit codes: 0 success, 2 usage or configuration error, 3 input rejected, "
              "4 validation failed, 5 delivered with failures, 6 published with problems, "
              "75 busy (another run).")
COMMANDS = {
    "run": "the whole pipeline: ingest, build, validate, snapshot, report, publish, email",
    **{step: f"only the {step} step, on the published warehouse" for step in STEPS},
    "deliver": "email the published reports of --as-of that are not yet sent",
    "resend": "email the reports of --as-of to --recipient again, with a new Message-ID",
    "backfill": "the whole pipeline for each date from --from to --to, in order",
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") \
            from error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description="Nightly CRM exports -> marts -> reports.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=list(COMMANDS), metavar="COMMAND",
                        help="; ".join(f"{k}: {v}" for k, v in COMMANDS.items()))
    parser.add_argument("--inbox", type=Path, help="folder of CRM exports (data/sample)")
    parser.add_argument("--out", type=Path, help="output folder (out)")
    parser.add_argument("--as-of", type=_date, dest="as_of",
                        help="the date the run reports as of, YYYY-MM-DD (today)")
    parser.add_argument("--config", type=Path, help="settings file (config/pipeline.yaml)")
    mail = parser.add_mutually_exclusive_group()
    mail.add_argument("--dry-run", dest="mail", action="store_const", const=DRY_RUN,
                      help="write each email to out/outbox/<as-of>/ instead of sending it")
    mail.add_argument("--no-mail", dest="mail", action="store_const", const=OFF,
                      help="neither send nor write any email")
    parser.add_argument("--recipient", help="resend: the address to send to again")
    parser.add_argument("--report", help="resend: only this edition (e.g. company)")
    parser.add_argument("--from", type=_date, dest="first", help="backfill: first date")
    parser.add_argument("--to", type=_date, dest="last", help="backfill: last date")
    parser.add_argument("--log-json", action="store_true",
                        help="log JSON lines even on a terminal")
    parser.add_argument("--verbose", action="store_true", help="log every model built")
    args = parser.parse_args(argv)
    if args.command in ("deliver", "resend") and args.mail == OFF:
        parser.error(f"{args.command} with --no-mail would do nothing")
    if args.command == "resend" and args.mail == DRY_RUN:
        parser.error("resend sends; to see the messages, `deliver --dry-run` writes them")
    if args.command == "resend" and not args.recipient:
        parser.error("resend needs --recipient (and --as-of)")
    if args.command == "backfill" and not (args.first and args.last):
        parser.error("backfill needs --from and --to")
    if args.command == "backfill" and args.first > args.last:
        parser.error("backfill: --from is after --to")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_id = new_run_id()
    setup_logging(run_id, json_lines=args.log_json, verbose=args.verbose)
    default_mail = OFF if args.command == "backfill" else SEND
    mail = args.mail or default_mail
    try:
        config = load_config(args.config, inbox=args.inbox, out=args.out, as_of=args.as_of)
        if args.command == "run":
            run(config, mail=mail, run_id=run_id)
        elif args.command == "deliver":
            deliver(config, mail=mail, run_id=run_id)
        elif args.command == "resend":
            resend(config, args.recipient, args.report, run_id=run_id)
        elif args.command == "backfill":
            backfill(config, args.first, args.last, mail=mail)
        else:
            run(config, (args.command,), run_id=run_id)
    except PipelineError as error:
        log.error("%s (exit %d)", error, error.exit_code,
                  extra={"event": "run_failed", "exit_code": error.exit_code})
        refused(error, args.command, mail, run_id)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
