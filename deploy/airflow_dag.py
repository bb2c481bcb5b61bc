"""The nightly run from Airflow: one task, the same command as cron's.

Copy into the DAGs folder; set the SMTP_* variables in the worker's environment, never in
this file. `{{ ds }}` is the start of the run's data interval: the run at 06:00 on the 21st
reports as of the 20th, whose exports arrived that evening. A retried, cleared or backfilled
task reruns exactly that date; the delivery log makes sure no manager gets a report twice.
"""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="crm_nightly_reports",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["sales"],
) as dag:
    # Exit codes (README): 0 success; 75 another run was busy and a retry will do; 2, 3 and 4
    # need a person (config, input, contract); 5 means the reports are published but some
    # email was not delivered, and a retry sends only what was not sent; 6 means the reports
    # are published and sent but a file or a recipient was left out (ops get a summary), which
    # needs a person, not a retry.
    BashOperator(
        task_id="run",
        cwd="/opt/crm-reports",
        bash_command=".venv/bin/python -m pipeline run --as-of {{ ds }} --inbox /srv/crm-inbox "
                     "--out /srv/crm-reports --log-json",
    )
