"""The JSON Schema of the policy format, generated from the models the loader uses.

Regenerate the bundled copy with ``python -m riskgrade.schema`` after changing
``riskgrade/check/format.py``; a test fails while the copy is stale.
"""

from __future__ import annotations

import json
from typing import Any

from riskgrade.bundled import policy_schema_path
from riskgrade.check.format import PolicyFile

SCHEMA_PATH = policy_schema_path()


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of one policy file."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    schema["$id"] = "https://riskgrade.invalid/policy.schema.json"
    schema["title"] = "riskgrade policy file"
    return schema


def render() -> str:
    """The policy schema as the bundled file holds it: sorted keys, two-space indent."""
    return json.dumps(policy_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
