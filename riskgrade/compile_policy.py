"""Stage 4, compile: a :class:`CheckedPolicy` -> the engine's program (plain data)."""

from __future__ import annotations

from riskgrade.check import CheckedPolicy
from riskgrade.rules.compile import DurableProgram, compile_durable


def compile_policy(policy: CheckedPolicy) -> DurableProgram:
    """Compile the policy's rule conditions for durable_rules; refuses nothing that checked."""
    return compile_durable([rule.condition for rule in policy.rules])
