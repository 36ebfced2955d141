"""Scoring: checklist deductions -> duty grade; LEC or risk matrix -> risk level."""

from riskgrade.scoring import lec, matrix
from riskgrade.scoring.registry import DUTY_METHODS, RISK_METHODS, RiskMethod

DUTY_METHODS.register("checklist", "checklist")

__all__ = ["DUTY_METHODS", "RISK_METHODS", "RiskMethod", "lec", "matrix"]
