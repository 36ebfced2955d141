"""The pure scoring methods: checklist deductions and bands -> duty grade; LEC or a risk matrix
-> risk score; bands -> risk level. Methods register by name (``registry.py``); policies choose
them in YAML. Nothing here knows about policies or units: ``grading/score.py`` applies them."""

from riskgrade.scoring import lec, matrix
from riskgrade.scoring.registry import DUTY_METHODS, RISK_METHODS, RiskMethod

DUTY_METHODS.register("checklist", "checklist")

__all__ = ["DUTY_METHODS", "RISK_METHODS", "RiskMethod", "lec", "matrix"]
