"""Property-based testing for policies: strategies and whole-policy property checks.

Needs hypothesis (``pip install riskgrade[testing]``)::

    from hypothesis import given
    import riskgrade
    from riskgrade.testing import enterprises, assert_policy_properties

    policy = riskgrade.load_policy("my/policy")
    assert_policy_properties(policy, max_examples=500)

    @given(enterprises(policy=policy, industry="catering", uses_gas=True))
    def test_gas_alarm_rule(facts): ...
"""

from riskgrade.testing.properties import (
    CHECKS,
    PropertyFailure,
    assert_engines_agree,
    assert_policy_properties,
    directions,
    worsen,
)
from riskgrade.testing.strategies import enterprises, thresholds

__all__ = [
    "CHECKS",
    "PropertyFailure",
    "assert_engines_agree",
    "assert_policy_properties",
    "directions",
    "enterprises",
    "thresholds",
    "worsen",
]
