"""The default policy's README is generated from the policy and lists every rule's basis."""

from __future__ import annotations

import riskgrade
from riskgrade.authoring.markdown import method_notes, render_markdown
from riskgrade.policy import default_policy_path


def test_default_policy_readme_is_current() -> None:
    policy = riskgrade.load_policy()
    current = (default_policy_path() / "README.md").read_text(encoding="utf-8")
    notes = method_notes(default_policy_path())
    assert notes and "LEC" in notes  # the method and why it replaced LEC
    assert current == render_markdown(policy, notes), "run: python -m riskgrade.authoring.markdown"


def test_readme_lists_every_rule_with_its_basis_and_every_countermeasure() -> None:
    policy = riskgrade.load_policy()
    text = render_markdown(policy)
    for checked in policy.checked.rules:
        line = next(line for line in text.splitlines() if f"`{checked.rule.id}`<br>" in line)
        for basis in checked.rule.basis:
            assert policy.checked.bases[basis].zh in line
    for rec_id in policy.checked.catalogue:
        assert f"| `{rec_id}` |" in text


def test_readme_summarises_every_legal_basis() -> None:
    policy = riskgrade.load_policy()
    text = render_markdown(policy)
    for basis_id, basis in policy.checked.bases.items():
        assert basis.summary is not None, basis_id  # every citation can be checked by a reviewer
        line = next(line for line in text.splitlines() if line.startswith(f"| `{basis_id}` |"))
        assert basis.summary.zh in line
