"""Failpoints: named places where a test makes the run die at once, as a crash or an
out-of-memory kill would, to show what a killed run leaves behind.

Only the PIPELINE_FAILPOINT environment variable arms one (`build.halfway`,
`report.halfway`, `publish.before_switch`, `publish.after_switch`); unset, a failpoint does
nothing.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "PIPELINE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
