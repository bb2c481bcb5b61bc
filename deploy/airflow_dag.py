"""The nightly run from Airflow: one task, the same run as cron's, with retries only for the
failures that can pass on a retry.

Copy into the DAGs folder; set the SMTP_* variables in the worker's environment, never in
this file. The run reads its inbox, out folder and time zone from the deployment's
config/pipeline.yaml; ZONE below must be that file's `timezone`. The task passes the date the
run reports as of: the day its interval ends, in ZONE, which is today there for the run at
06:00, as cron's would be; a retried, cleared or backfilled task reruns exactly that date, and
the delivery log makes sure no manager gets a report twice.

`outcome()` and `command()` need no Airflow, so tests/test_nightly.py checks them as they are.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta

PROJECT = "/opt/crm-reports"
CONFIG = "config/pipeline.yaml"
ZONE = "Asia/Shanghai"
# the day the run's data interval ends, in ZONE (an Airflow template)
AS_OF = "{{ data_interval_end.in_timezone('" + ZONE + "').to_date_string() }}"

# Exit codes (docs: the command line): these can pass on a retry. Any other failure needs a
# person and is not retried: 1 a bug, 2 the settings or the command, 3 an input, 4 a contract,
# 6 published and sent, but a file or a recipient was left out (ops get a summary), and a run
# killed by a signal (out of memory: see memory_limit).
RETRIED = {
    75: "another run was using the output folder",
    5: "the reports are published but some email was not delivered; a retry sends only what "
       "was not sent",
}


def outcome(exit_code: int) -> str:
    """What the task does with the run's exit code: done, retry or fail (no retry)."""
    if exit_code == 0:
        return "done"
    return "retry" if exit_code in RETRIED else "fail"


def command(as_of: str) -> list[str]:
    return [f"{PROJECT}/.venv/bin/python", "-m", "pipeline", "run", "--config", CONFIG,
            "--as-of", as_of, "--log-json"]


def run_nightly(as_of: str) -> None:
    from airflow.exceptions import AirflowException, AirflowFailException

    code = subprocess.run(command(as_of), cwd=PROJECT, check=False).returncode
    if outcome(code) == "retry":
        raise AirflowException(f"exit {code}: {RETRIED[code]}; retried")
    if outcome(code) == "fail":
        raise AirflowFailException(f"exit {code}: needs a person, not a retry; the run's "
                                   "record in <out>/runs/ and the log say why")


try:
    import pendulum
    from airflow import DAG

    try:
        from airflow.providers.standard.operators.python import PythonOperator
    except ImportError:  # Airflow 2
        from airflow.operators.python import PythonOperator
except ImportError:  # not under Airflow: outcome() and command() are still there to test
    DAG = None

if DAG is not None:
    with DAG(
        dag_id="crm_nightly_reports",
        schedule="0 6 * * *",
        start_date=pendulum.datetime(2026, 11, 1, tz=ZONE),
        catchup=False,
        max_active_runs=1,
        # retried after about 5, 10 and 20 minutes (AirflowFailException skips the retries)
        default_args={"retries": 3, "retry_delay": timedelta(minutes=5),
                      "retry_exponential_backoff": True,
                      "max_retry_delay": timedelta(minutes=30)},
        tags=["sales"],
    ) as dag:
        PythonOperator(
            task_id="run",
            python_callable=run_nightly,
            op_kwargs={"as_of": AS_OF},
        )
