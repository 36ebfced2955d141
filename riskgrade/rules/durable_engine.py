"""The durable_rules adapter: the only module that imports ``durable``.

One :class:`DurableEngine` per policy version owns its own rulesets, under names of its own,
and evaluates one enterprise at a time in a single reused session: assert the fact, drain every
pending action, then delete the session. It talks to the engine's C API alone: it writes every
JSON text the engine reads (rulesets and facts) itself, because the engine's JSON reader refuses
numbers as Python's ``json`` writes some of them (``1e-07``), and ``durable.engine.Host`` would
write the rulesets with ``json``. Actions are never Python callbacks on this path
(durable_rules swallows exceptions raised inside actions); the adapter reads each fired rule's
name from the engine and maps every engine failure to :class:`EngineError`.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections.abc import Mapping
from typing import Any

from riskgrade.errors import EngineError
from riskgrade.rules.compile import FALLBACK_COSTS, SEEN, DurableProgram, compile_durable
from riskgrade.rules.expr import Node
from riskgrade.rules.interpret import evaluate

try:  # durable-rules 2.0.28 builds from source and fails to import on Python 3.13+
    import durable_rules_engine as _native
except Exception as exc:  # pragma: no cover - depends on the interpreter
    _IMPORT_ERROR: Exception | None = exc
else:
    _IMPORT_ERROR = None

_SID = "rg"
_names = itertools.count()


def available() -> bool:
    """Whether durable_rules imported on this interpreter."""
    return _IMPORT_ERROR is None


def _require() -> None:
    if _IMPORT_ERROR is not None:
        raise EngineError(
            "the durable_rules engine is not available on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} "
            f"({type(_IMPORT_ERROR).__name__}: {_IMPORT_ERROR}); durable-rules 2.0.28 needs "
            "Python 3.11 or 3.12 and a C compiler"
        ) from _IMPORT_ERROR


_INT64 = 2**63


def _wire(value: Any) -> Any:
    if hasattr(value, "toordinal"):
        return value.toordinal()
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return float(value)  # durable reads integers as 64-bit: past that, compare as a double
    return value


def _number(value: float) -> str:
    """``value`` as durable_rules' JSON reader takes it. Python writes ``1e+16`` and ``1e-07``,
    which the reader refuses (error 204) unless the mantissa has a decimal point: ``1.0e+16``
    is read as the same double (``repr`` round-trips, and so does this)."""
    text = float.__repr__(value)
    mantissa, exponent, power = text.partition("e")
    if exponent and "." not in mantissa:
        return f"{mantissa}.0e{power}"
    return text


def _dumps(fact: Mapping[str, Any]) -> str:
    """A flat fact as JSON the engine reads: floats Python would write in exponent form are
    written by :func:`_number` (the rest by :func:`json.dumps`, which is fast)."""
    odd = {k: v for k, v in fact.items() if type(v) is float and "e" in float.__repr__(v)}
    if not odd:
        return json.dumps(fact, ensure_ascii=False)
    text = json.dumps({k: v for k, v in fact.items() if k not in odd}, ensure_ascii=False)
    added = ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_number(v)}" for k, v in odd.items())
    return f"{text[:-1]}, {added}}}" if text != "{}" else f"{{{added}}}"


def _ruleset_json(value: Any) -> str:
    """A ruleset definition (dicts, lists, text, numbers) as JSON the engine reads: a constant
    is written as a fact's value is (:func:`_wire`, floats by :func:`_number`), so ``x <
    0.0000001`` reaches the engine as ``1.0e-07``, not as ``1e-07`` (refused, error 204)."""
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k, ensure_ascii=False)}: {_ruleset_json(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_ruleset_json(v) for v in value) + "]"
    value = _wire(value)
    if isinstance(value, float):
        return _number(value)
    return json.dumps(value, ensure_ascii=False)


class DurableEngine:
    """Evaluates compiled conditions for one enterprise at a time on durable_rules."""

    def __init__(self, program: DurableProgram, label: str) -> None:
        _require()
        self.program = program
        self.handles: list[Any] = []
        base = "".join(ch if ch.isalnum() else "_" for ch in label)[:40]
        for ruleset in program.rulesets:
            name = f"riskgrade_{base}_{next(_names)}"
            try:
                self.handles.append(_native.create_ruleset(name, _ruleset_json(ruleset)))
            except Exception as exc:
                raise EngineError(f"durable_rules refused the compiled policy: {exc}") from exc
        self.fact_ids = itertools.count()
        # One session id per engine: two threads inside it at once corrupt the engine's state
        # (error 309, then a segfault). The C calls hold the GIL, so a lock costs no parallelism.
        self.lock = threading.Lock()

    @classmethod
    def for_conditions(cls, conditions: list[Node], label: str) -> DurableEngine:
        """Compile and load ``conditions``; where durable_rules refuses a rule as too large
        (error 113: at most ~31 nested expressions), recompile with more of each condition
        computed in Python."""
        last: EngineError | None = None
        for cost in FALLBACK_COSTS:
            try:
                return cls(compile_durable(conditions, max_cost=cost), label)
            except EngineError as exc:
                if "error code: 113" not in str(exc):
                    raise
                last = exc
        assert last is not None
        raise last

    def fact(self, env: Mapping[str, Any]) -> dict[str, Any]:
        """The flat fact the engine sees for one enterprise."""
        fact: dict[str, Any] = {"sid": _SID, "rg": 1}
        slots = {name: evaluate(node, env) for name, node in self.program.slots}
        for leaf in self.program.leaves:
            value = slots[leaf] if leaf in slots else env.get(leaf)
            if value is None:
                fact[f"k_{leaf}"] = 0
            else:
                fact[f"k_{leaf}"] = 1
                fact[f"v_{leaf}"] = _wire(value)
        return fact

    def run(self, env: Mapping[str, Any]) -> list[str]:
        """Names of the engine rules that fired for ``env``, in firing order."""
        fact = self.fact(env)
        fired: list[str] = []
        with self.lock:  # safe from threads: one grading at a time inside the engine
            for handle, reads in zip(self.handles, self.program.reads, strict=True):
                # Each ruleset sees only the properties it reads (durable caps a fact's width).
                sent = {"sid": fact["sid"], "rg": 1, "id": str(next(self.fact_ids))}
                sent.update((k, fact[k]) for k in reads if k in fact)
                fired.extend(self._assert(handle, _dumps(sent)))
        names = [name for name in fired if name != SEEN]
        if len(set(names)) != len(names):
            raise EngineError(f"an engine rule fired twice (non-exclusive branches): {names}")
        return names

    def _assert(self, handle: Any, payload: str) -> list[str]:
        try:
            result = _native.assert_fact(handle, payload)
        except Exception as exc:
            raise EngineError(f"durable_rules rejected the fact: {exc}") from exc
        code = result[0] if isinstance(result, tuple | list) else 0
        if code == 1:  # no rule matched; cannot happen, the "seen" rule matches every fact
            raise EngineError("durable_rules handled no rule for the fact")
        if code == 2:
            raise EngineError("durable_rules saw the fact as a duplicate")
        state_handle = result[1]
        fired: list[str] = []
        try:
            started = _native.start_action_for_state(handle, state_handle)
            message = started[1] if started else None
            while message:
                fired.append(_action_name(message))
                message = _native.complete_and_start_action(handle, state_handle)
        except Exception as exc:
            raise EngineError(f"durable_rules failed while running actions: {exc}") from exc
        finally:
            # Only delete a drained session: deleting one with pending actions crashes.
            try:
                _native.delete_state(handle, _SID)
            except Exception as exc:
                raise EngineError(f"durable_rules could not delete its session: {exc}") from exc
        return fired


def _action_name(message: str) -> str:
    """The rule name from an action message ``{"<rule>": {...}}`` without decoding it all."""
    start = message.index('"') + 1
    return message[start : message.index('"', start)]
