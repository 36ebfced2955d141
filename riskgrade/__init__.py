"""riskgrade: grade enterprises' work-safety duty fulfilment and risk level from YAML policies.

>>> import riskgrade, datetime
>>> policy = riskgrade.load_policy()
>>> facts = {"id": "u1", "industry": "retail", "employees": 8}
>>> a = policy.grade(facts, as_of=datetime.date(2026, 11, 28))
>>> a.risk_level in riskgrade.RiskLevel
True
"""

from riskgrade.assessment import Assessment, DutyGrade, Finding, Recommendation, RiskLevel
from riskgrade.diagnostics import Diagnostic
from riskgrade.errors import (
    EncodingError,
    EngineError,
    FactError,
    GradeError,
    InputError,
    MissingExtra,
    OutputError,
    PolicyError,
    PropertyFailure,
    RiskgradeError,
    RunAborted,
    SessionError,
    SettingsError,
)
from riskgrade.facts import Enterprise
from riskgrade.policy import Policy, load_policy

__all__ = [
    "Assessment",
    "Diagnostic",
    "DutyGrade",
    "EncodingError",
    "EngineError",
    "Enterprise",
    "FactError",
    "Finding",
    "GradeError",
    "InputError",
    "MissingExtra",
    "OutputError",
    "Policy",
    "PolicyError",
    "PropertyFailure",
    "Recommendation",
    "RiskLevel",
    "RiskgradeError",
    "RunAborted",
    "SessionError",
    "SettingsError",
    "load_policy",
]
__version__ = "0.1.0"
