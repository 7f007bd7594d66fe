"""The :class:`Finding` and :class:`Report` types that :func:`rnninit.diagnose.check` returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from .table import Table

__all__ = ["SEVERITIES", "Finding", "Report"]

#: Severities, most severe first: ``error`` (training is broken), ``warning`` (training is likely
#: to be slow or unstable), ``info`` (worth knowing).
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem :func:`~rnninit.diagnose.check` saw.

    ``code`` is a stable identifier (e.g. ``"doubled_bias"``), ``where`` the qualified parameter
    or module names concerned, ``seen`` what was measured, ``why`` why it matters and ``fix`` what
    to do about it.

    >>> f = Finding("doubled_bias", "warning", ("bias_ih_l0[f]",), "seen", "why", "fix")
    >>> f.to_dict()["where"], str(f).splitlines()[0]
    (['bias_ih_l0[f]'], '[warning] doubled_bias at bias_ih_l0[f]')
    """

    code: str
    severity: str
    where: tuple[str, ...]
    seen: str
    why: str
    fix: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity={self.severity!r}; valid: {', '.join(SEVERITIES)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python fields (``where`` as a list)."""
        d = asdict(self)
        d["where"] = list(self.where)
        return d

    def __str__(self) -> str:
        return (
            f"[{self.severity}] {self.code} at {', '.join(self.where)}\n"
            f"  seen: {self.seen}\n  why:  {self.why}\n  fix:  {self.fix}"
        )


class Report:
    """A list of :class:`Finding`, most severe first; printable, and ``.to_dict()``-able.

    ``len(report) == 0`` (and ``report.ok``) when nothing was found.

    >>> r = Report([Finding("a", "warning", (), "", "", ""), Finding("b", "error", (), "", "", "")])
    >>> r.codes, r.ok, str(Report([], "LSTM"))
    (['b', 'a'], False, 'rnninit.check: LSTM: no finding')
    """

    def __init__(self, findings: list[Finding], checked: str = "") -> None:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.findings = sorted(findings, key=lambda f: order[f.severity])
        self.checked = checked

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __getitem__(self, index: int) -> Finding:
        return self.findings[index]

    @property
    def ok(self) -> bool:
        """True when there is no finding at all."""
        return not self.findings

    @property
    def codes(self) -> list[str]:
        """The finding codes, in report order."""
        return [f.code for f in self.findings]

    def table(self) -> Table:
        """The findings as a :class:`~rnninit.diagnose.table.Table`."""
        rows = [
            {
                "severity": f.severity,
                "code": f.code,
                "where": ", ".join(f.where),
                "seen": f.seen,
                "fix": f.fix,
            }
            for f in self.findings
        ]
        return Table(("severity", "code", "where", "seen", "fix"), rows, "rnninit.check")

    def to_dict(self) -> dict[str, Any]:
        """``{"checked", "ok", "findings": [finding dicts]}``."""
        return {
            "checked": self.checked,
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_markdown(self) -> str:
        """The findings as a Markdown table."""
        return self.table().to_markdown()

    def __str__(self) -> str:
        head = f"rnninit.check: {self.checked}" if self.checked else "rnninit.check"
        if not self.findings:
            return f"{head}: no finding"
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        summary = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
        return "\n\n".join([f"{head}: {summary}", *(str(f) for f in self.findings)])

    def __repr__(self) -> str:
        return f"Report({self.codes})"
