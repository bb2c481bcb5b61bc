"""Errors that end a run, each with the exit code docs/operations.md documents."""

from __future__ import annotations


class PipelineError(Exception):
    exit_code = 1


class ConfigError(PipelineError):
    """Bad command line, config file or source mapping."""

    exit_code = 2


class InputRejected(PipelineError):
    """An input file (or the inbox as a whole) cannot be loaded as it is."""

    exit_code = 3

    def __init__(self, file: str, reason: str, *, line: int | None = None,
                 column: str | None = None, value: str | None = None) -> None:
        self.file, self.line, self.column, self.value = file, line, column, value
        where = file if line is None else f"{file}, line {line}"
        parts = [where]
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            parts.append(f"value {value!r}")
        super().__init__(f"{': '.join(parts)}: {reason}")


class ValidationFailed(PipelineError):
    """A data contract failed; nothing downstream of validation may run."""

    exit_code = 4


class DeliveryFailed(PipelineError):
    """The reports were published, but some messages were refused or may not have arrived."""

    exit_code = 5


class PublishedWithProblems(PipelineError):
    """The reports were published and sent, but an input file was refused or someone who
    should get reports could not be served; the message names each."""

    exit_code = 6


class Busy(PipelineError):
    """Another run holds the output folder."""

    exit_code = 75
