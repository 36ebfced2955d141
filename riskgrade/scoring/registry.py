"""Registries of scoring methods, chosen by name from policy YAML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from riskgrade.diagnostics import did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind; duplicates are refused, lookups offer "did you mean"."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        """Add ``entry`` under ``name`` and return it; a name already taken raises ValueError."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        """The entry named ``name``; an unknown name raises KeyError with a "did you mean" hint."""
        try:
            return self._entries[name]
        except KeyError:
            hint = did_you_mean(name, self._entries) or ""
            raise KeyError(f"unknown {self.kind} {name!r} {hint}".strip()) from None

    def hint(self, name: str) -> str | None:
        """A "did you mean" hint for an unknown ``name``, or None when nothing is close."""
        return did_you_mean(name, self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))


@dataclass(frozen=True)
class RiskMethod:
    """A way to turn factor values into a risk score (LEC, risk matrix, ...)."""

    name: str
    factors: tuple[str, ...]
    allowed: dict[str, frozenset[Decimal]]
    combine: Callable[[dict[str, Decimal]], Decimal]

    def problems(
        self, factors: dict[str, list[Decimal]]
    ) -> list[tuple[str | None, int | None, str]]:
        """What is wrong with a policy's factor tables: ``(factor, row index, message)``."""
        out: list[tuple[str | None, int | None, str]] = []
        for name in self.factors:
            if name not in factors:
                out.append((None, None, f"{self.name} needs factor {name!r}"))
        for name, values in factors.items():
            if name not in self.factors:
                hint = did_you_mean(name, self.factors)
                message = f"{self.name} has no factor {name!r}" + (f" ({hint})" if hint else "")
                out.append((name, None, message))
                continue
            allowed = self.allowed.get(name)
            for index, value in enumerate(values):
                if allowed is not None and value not in allowed:
                    choices = ", ".join(str(v) for v in sorted(allowed, reverse=True))
                    message = (
                        f"{name} = {value.normalize():f} is not a {self.name} value ({choices})"
                    )
                    out.append((name, index, message))
        return out


RISK_METHODS: Registry[RiskMethod] = Registry("risk method")
DUTY_METHODS: Registry[str] = Registry("duty scoring method")
