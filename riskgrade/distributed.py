"""Grading on a Dask cluster: ``grade_dask(ddf, policy)`` returns a Dask DataFrame of results.

The policy travels to the workers as data (its YAML texts); each worker process loads it once.
Needs ``pip install riskgrade[dask]``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from riskgrade.assessment import Assessment
from riskgrade.batch.write import RESULT_COLUMNS, result_record
from riskgrade.policy import EngineName, Policy, load_policy_source

OUTPUT_COLUMNS = (*RESULT_COLUMNS, "errors")
_FLOATS = {"duty_score", "risk_score"}
_LOADED: dict[str, Policy] = {}


def _policy(source: Mapping[str, str]) -> Policy:
    key = hashlib.sha256(json.dumps(sorted(source.items())).encode()).hexdigest()
    if key not in _LOADED:
        _LOADED[key] = load_policy_source(source)
    return _LOADED[key]


def _clean(value: Any) -> Any:
    """A pandas cell as a fact: NaN/NA are unknown, JSON text in nested columns is a list."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalars
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def grade_partition(
    frame: Any, source: Mapping[str, str], as_of: dt.date, engine: EngineName = "compiled"
) -> Any:
    """Grade one pandas partition; one output row per input row, in order, same index."""
    import pandas as pd

    policy = _policy(source)
    records = [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    out: list[dict[str, Any]] = []
    for result in policy.grade_many(records, as_of=as_of, engine=engine):
        if isinstance(result, Assessment):
            out.append({**result_record(result), "errors": ""})
        else:
            blank: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS)
            blank.update(
                {
                    "id": result.entity_id,
                    "errors": json.dumps(result.to_dict()["errors"], ensure_ascii=False),
                }
            )
            out.append(blank)
    result_frame = pd.DataFrame(out, columns=list(OUTPUT_COLUMNS), index=frame.index)
    for column in OUTPUT_COLUMNS:
        result_frame[column] = result_frame[column].astype(
            "float64" if column in _FLOATS else "object"
        )
    return result_frame


def grade_dask(ddf: Any, policy: Policy, *, as_of: dt.date, engine: EngineName = "compiled") -> Any:
    """Grade every row of a Dask DataFrame of enterprise facts; returns a lazy Dask DataFrame
    with the result columns of ``riskgrade grade`` plus ``errors`` (empty when graded)::

        results = grade_dask(dd.read_csv("district-*.csv"), policy, as_of=date(2026, 11, 28))
        results.to_parquet("graded/")
    """
    import pandas as pd

    if not policy.source:
        raise ValueError(
            "this policy has no YAML source to send to workers; load it with load_policy"
        )
    meta = pd.DataFrame(
        {c: pd.Series(dtype="float64" if c in _FLOATS else "object") for c in OUTPUT_COLUMNS}
    )
    return ddf.map_partitions(grade_partition, dict(policy.source), as_of, engine, meta=meta)
