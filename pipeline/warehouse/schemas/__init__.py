"""One pandera contract per table built from sql/, found by the table's name."""

from __future__ import annotations

import inspect

import pandera.pandas as pa

from pipeline.warehouse.schemas import intermediate, marts, staging


def _contracts(*modules) -> dict[str, type[pa.DataFrameModel]]:
    found = {}
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # a contract names its table; a grain or column mixin keeps its class name
            if issubclass(cls, pa.DataFrameModel) and cls.Config.name != cls.__name__:
                found[cls.Config.name] = cls
    return found


SCHEMAS: dict[str, type[pa.DataFrameModel]] = _contracts(staging, intermediate, marts)
