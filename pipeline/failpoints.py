"""Failpoints: named places where a test makes the run die at once, as a crash, an
out-of-memory kill or a power cut would, to show what a killed run leaves behind.

Only the PIPELINE_FAILPOINT environment variable arms one (`publish.before_switch`, or
`build.model:12` for the 12th model built); unset, a failpoint does nothing.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "PIPELINE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
