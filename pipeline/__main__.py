"""Command line: `python -m pipeline run|ingest|build|validate|report [options]`.

Exit codes: 0 success, 2 usage or configuration error, 3 input rejected,
4 validation failed, 1 an unexpected error (a bug: please report it with the log).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from pipeline.config import load_config
from pipeline.errors import PipelineError
from pipeline.run import STEPS, run

log = logging.getLogger("pipeline")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") \
            from error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description="Nightly CRM exports -> marts -> reports.",
        epilog="Exit codes: 0 success, 2 usage or configuration error, 3 input rejected, "
               "4 validation failed.")
    parser.add_argument("command", choices=["run", *STEPS],
                        help="run = ingest, build, validate and report in order")
    parser.add_argument("--inbox", type=Path, help="folder of CRM exports (data/sample)")
    parser.add_argument("--out", type=Path, help="output folder (out)")
    parser.add_argument("--as-of", type=_date, dest="as_of",
                        help="the date the run reports as of, YYYY-MM-DD (today)")
    parser.add_argument("--config", type=Path, help="settings file (config/pipeline.yaml)")
    parser.add_argument("--verbose", action="store_true", help="log every model built")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        config = load_config(args.config, inbox=args.inbox, out=args.out, as_of=args.as_of)
        run(config, tuple(STEPS) if args.command == "run" else (args.command,))
    except PipelineError as error:
        log.error("%s (exit %d)", error, error.exit_code)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
