"""Grading on a local Dask cluster with two worker processes."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import riskgrade  # noqa: E402
from riskgrade.distributed import OUTPUT_COLUMNS, grade_dask  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from population import population  # noqa: E402

AS_OF = dt.date(2026, 11, 28)


@pytest.mark.slow
def test_grade_dask_on_two_worker_processes_matches_local_grading() -> None:
    rows = population(400, seed=11)
    rows[5]["employees"] = -4  # a bad row comes back with its errors, not dropped
    frame = pd.DataFrame(
        [
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                for k, v in r.items()
            }
            for r in rows
        ]
    )
    policy = riskgrade.load_policy()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        result = grade_dask(dd.from_pandas(frame, npartitions=4), policy, as_of=AS_OF).compute()
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert len(result) == 400 and list(result.index) == list(frame.index)
    assert result.loc[5, "id"] == rows[5]["id"] and "employees" in result.loc[5, "errors"]
    for i in (0, 1, 2, 100, 399):
        a = policy.grade(rows[i], as_of=AS_OF, engine="compiled")
        assert result.loc[i, "risk_level"] == a.risk_level.name.lower()
        assert result.loc[i, "duty_grade"] == a.duty_grade.value
        assert result.loc[i, "errors"] == ""


def test_policy_without_source_is_refused() -> None:
    policy = riskgrade.load_policy()
    policy.source = {}
    with pytest.raises(ValueError, match="no YAML source"):
        grade_dask(None, policy, as_of=AS_OF)


def test_a_partition_grades_the_same_on_the_columnar_and_compiled_engines() -> None:
    from riskgrade.distributed import grade_partition

    rows = population(300, seed=12)
    rows[7]["industry"] = "noodles"
    frame = pd.DataFrame(
        [{k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in r.items()}
         for r in rows]
    )  # fmt: skip
    frame.index = frame.index + 1000  # the output keeps the partition's own index
    source = riskgrade.load_policy().source
    columnar = grade_partition(frame, source, AS_OF, "columnar")
    compiled = grade_partition(frame, source, AS_OF, "compiled")
    pd.testing.assert_frame_equal(columnar, compiled)
    assert list(columnar.index) == list(frame.index)
    assert "industry" in columnar.loc[1007, "errors"] and columnar.loc[1006, "errors"] == ""
