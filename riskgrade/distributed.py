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
from riskgrade.batch.run import BatchEngine
from riskgrade.batch.write import RESULT_COLUMNS, result_record
from riskgrade.errors import FactError, GradeError
from riskgrade.policy import Policy, load_policy_source

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
    frame: Any, source: Mapping[str, str], as_of: dt.date, engine: BatchEngine = "columnar"
) -> Any:
    """Grade one pandas partition; one output row per input row, in order, same index. The
    columnar engine grades the partition as one table; the others unit by unit."""
    import pandas as pd

    policy = _policy(source)
    records = [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    out: list[dict[str, Any]] = []
    results = (
        _columnar(policy, records, as_of)
        if engine == "columnar"
        else policy.grade_many(records, as_of=as_of, engine=engine)
    )
    for result in results:
        if isinstance(result, Assessment):
            out.append({**result_record(result), "errors": ""})
        elif isinstance(result, dict):
            out.append({**result, "errors": ""})
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


def _columnar(
    policy: Policy, records: list[dict[str, Any]], as_of: dt.date
) -> list[dict[str, Any] | GradeError]:
    """The records graded as one table: a result record or a GradeError per record."""
    from riskgrade.grading.columnar import grade_records

    results = grade_records(policy.program, policy.validate, records, as_of, RESULT_COLUMNS)
    out: list[dict[str, Any] | GradeError] = []
    for index, (record, result) in enumerate(zip(records, results, strict=True)):
        if isinstance(result, FactError):
            unit = record.get("id")
            fallback = unit if isinstance(unit, str) else None
            out.append(GradeError(index, result.entity_id or fallback, result.errors, result))
        else:
            out.append(result)
    return out


def grade_dask(
    ddf: Any,
    policy: Policy,
    as_of: dt.date | None = None,
    *,
    engine: BatchEngine = "columnar",
) -> Any:
    """Grade every row of a Dask DataFrame of enterprise facts; returns a lazy Dask DataFrame
    with the result columns of ``riskgrade grade`` plus ``errors`` (empty when graded).
    ``as_of`` defaults to today; each partition is graded as one table on the columnar
    engine (``engine="compiled"`` grades unit by unit, with the same results)::

        results = grade_dask(dd.read_csv("district-*.csv"), policy, as_of=date(2026, 11, 28))
        results.to_parquet("graded/")
    """
    import pandas as pd

    as_of = as_of or dt.date.today()

    if not policy.source:
        raise ValueError(
            "this policy has no YAML source to send to workers; load it with load_policy"
        )
    meta = pd.DataFrame(
        {c: pd.Series(dtype="float64" if c in _FLOATS else "object") for c in OUTPUT_COLUMNS}
    )
    return ddf.map_partitions(grade_partition, dict(policy.source), as_of, engine, meta=meta)
