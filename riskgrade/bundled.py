"""Where the data shipped inside the package lives: the one module that knows these paths.

>>> (default_policy_path() / "rules.yaml").is_file()
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _packaged(*parts: str) -> Path:
    return Path(str(resources.files("riskgrade").joinpath(*parts)))


def default_policy_path() -> Path:
    """The bundled default policy's folder."""
    return _packaged("policies", "default")


def sample_district_path() -> Path:
    """The bundled sample district (400 units, JSON Lines; graded as of 2026-11-28)."""
    return _packaged("data", "sample_district.jsonl")


def sample_enterprises_path() -> Path:
    """The handful of sample enterprises ``riskgrade demo`` grades (JSON)."""
    return _packaged("data", "sample_enterprises.json")


def default_settings_path() -> Path:
    """The bundled supervision settings (inspection targets, caps, key areas and periods)."""
    return _packaged("data", "supervision.yaml")


def template_path(name: str) -> Path:
    """A bundled page template, e.g. ``report.html.j2``."""
    return _packaged("templates", name)


def policy_schema_path() -> Path:
    """The JSON Schema of the policy format (``riskgrade schema`` prints it)."""
    return _packaged("schema", "policy.schema.json")
