"""The policy format's JSON Schema: generated from the loader's models and kept current."""

from __future__ import annotations

from riskgrade.policy import default_policy_path
from riskgrade.schema import SCHEMA_PATH, policy_schema, render


def test_bundled_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), "run: python -m riskgrade.schema"


def test_schema_describes_every_section() -> None:
    properties = policy_schema()["properties"]
    assert {"policy", "facts", "derived", "rules", "catalogue", "scoring", "tests"} <= set(
        properties
    )
    assert policy_schema()["additionalProperties"] is False


def test_bundled_yaml_files_point_editors_at_the_schema() -> None:
    for path in default_policy_path().glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schema/policy.schema.json", path
        assert (path.parent / "../../schema/policy.schema.json").resolve() == SCHEMA_PATH.resolve()


def test_the_format_spells_levels_and_grades_as_the_enums_order_them() -> None:
    from typing import get_args

    from riskgrade import DutyGrade, RiskLevel
    from riskgrade.check.format import GradeName, LevelName

    assert get_args(LevelName) == RiskLevel.names()
    assert get_args(GradeName) == DutyGrade.names()
