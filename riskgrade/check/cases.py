"""Stage 3, check: a policy's test cases are checked as ``riskgrade test`` will run them.

Each case's ``extends`` chain must name known cases and close no cycle, and the facts it
stands for (its own over those of the cases it extends) must validate as grading validates
facts: every name in the fact schema or declared by the policy, every value of its type.
A problem is reported at the fact, in the case that wrote it.
"""

from __future__ import annotations

from typing import Any

from riskgrade.check.format import FactDecl, TestCase
from riskgrade.check.state import CheckState, Where
from riskgrade.diagnostics import did_you_mean
from riskgrade.errors import FactError
from riskgrade.facts import Enterprise, declared_value, parse_enterprise

_EXTRA_FIELD = "Extra inputs are not permitted"


def check_cases(state: CheckState) -> None:
    """Report unknown ``extends`` targets, ``extends`` cycles and facts that will not validate."""
    cases: list[tuple[TestCase, Where]] = state.merged["tests"]
    by_name = {case.name: (case, where) for case, where in cases}
    order = {case.name: index for index, (case, _) in enumerate(cases)}
    known = _fact_names(state.extra_facts)
    for case, where in cases:
        chain = _chain(state, case, where, by_name, order)
        if chain is not None:
            _check_facts(state, chain, known)


def _chain(
    state: CheckState,
    case: TestCase,
    where: Where,
    by_name: dict[str, tuple[TestCase, Where]],
    order: dict[str, int],
) -> list[tuple[TestCase, Where]] | None:
    """The case and those it extends, nearest first; None (with a problem) when it breaks."""
    chain = [(case, where)]
    while chain[-1][0].extends is not None:
        link = chain[-1][0]
        target = link.extends
        assert target is not None
        if target not in by_name:
            if link is case:  # the broken link is reported at the case that has it
                hint = did_you_mean(target, by_name)
                message = f"test {case.name!r} extends unknown case {target!r}"
                state.problems.append(where.diagnostic("RG501", message, "extends", hint=hint))
            return None
        parent = by_name[target]
        seen = [c for c, _ in chain]
        if any(parent[0] is c for c in seen):
            cycle = seen[next(i for i, c in enumerate(seen) if c is parent[0]) :]
            # One cycle, one problem: at the member that closes it, reading top-down.
            if case is max(cycle, key=lambda c: order[c.name]):
                names = " -> ".join(c.name for c in [*cycle, cycle[0]])
                message = f"test cases extend each other in a cycle: {names}"
                state.problems.append(where.diagnostic("RG501", message, "extends"))
            return None
        chain.append(parent)
    return chain


def _check_facts(state: CheckState, chain: list[tuple[TestCase, Where]], known: list[str]) -> None:
    """Validate the facts the chain stands for; locate each problem in the case that wrote it."""
    facts: dict[str, Any] = {}
    for link, _ in reversed(chain):
        facts.update(link.facts)
    for field, message in validation_errors(facts, state.extra_facts):
        top = field.split(".", 1)[0]
        owner, where = next(((c, w) for c, w in chain if top in c.facts), chain[0])
        path: list[str | int] = ["facts"]
        if top in owner.facts:
            path += [int(p) if p.isdigit() else p for p in field.split(".")]
        hint = None
        text = f"test {owner.name!r}: {field}: {message}"
        if message == _EXTRA_FIELD:
            hint = did_you_mean(top, known)
            text = f"test {owner.name!r}: unknown fact {field!r}"
        state.problems.append(where.diagnostic("RG501", text, *path, hint=hint))


def validation_errors(
    facts: dict[str, Any], declared: dict[str, FactDecl]
) -> list[tuple[str, str]]:
    """``(field, message)`` for every fact grading would refuse: the schema's facts through
    :func:`~riskgrade.facts.parse_enterprise`, the policy's own facts by their declared type
    (as :func:`riskgrade.grading.pipeline.validate` does; a test holds the two equal)."""
    errors: list[tuple[str, str]] = []
    try:
        parse_enterprise({k: v for k, v in facts.items() if k not in declared})
    except FactError as exc:
        errors += exc.errors
    for name, decl in declared.items():
        try:
            declared_value(facts.get(name), decl.type, decl.values)
        except ValueError as exc:
            errors.append((name, str(exc)))
    return errors


def _fact_names(declared: dict[str, FactDecl]) -> list[str]:
    """Every name a case may give a fact under: the schema's fields, their aliases, the
    policy's own facts."""
    names = [*declared]
    for name, info in Enterprise.model_fields.items():
        names.append(name)
        if isinstance(info.alias, str):
            names.append(info.alias)
    return names
