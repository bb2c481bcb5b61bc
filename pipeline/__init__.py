"""CRM exports turned into the reports sales managers act on, every night."""

import warnings

# pandera imports pyspark (the optional `spark` extra) whenever it is installed, even for a
# DuckDB run, and pyspark then warns that its pandas API does not yet support pandas 3: a
# plain-text line among the run's JSON log lines. The Spark engine uses Spark SQL, not that
# API, and is tested on this pandas (tests/test_spark_engine.py).
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                        category=FutureWarning)
