"""The default policy's README is generated from the policy and lists every rule's basis."""

from __future__ import annotations

import riskgrade
from riskgrade.policy import default_policy_path
from riskgrade.policydoc import render_markdown


def test_default_policy_readme_is_current() -> None:
    policy = riskgrade.load_policy()
    current = (default_policy_path() / "README.md").read_text(encoding="utf-8")
    assert current == render_markdown(policy), "run: python -m riskgrade.policydoc"


def test_readme_lists_every_rule_with_its_basis_and_every_countermeasure() -> None:
    policy = riskgrade.load_policy()
    text = render_markdown(policy)
    for checked in policy.checked.rules:
        line = next(line for line in text.splitlines() if f"`{checked.rule.id}`<br>" in line)
        for basis in checked.rule.basis:
            assert policy.checked.bases[basis].zh in line
    for rec_id in policy.checked.catalogue:
        assert f"| `{rec_id}` |" in text
