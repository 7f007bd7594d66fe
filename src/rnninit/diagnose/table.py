"""A small table of rows: printable in the terminal, as Markdown, and as plain data.

Every diagnostic result (:func:`~rnninit.diagnose.describe`, :func:`~rnninit.diagnose.check`, ...)
is a list of rows with fixed columns. :class:`Table` renders those rows; numbers are shown with
four significant digits, missing values (``None``, NaN) as empty cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["Table", "format_cell"]


def format_cell(value: object) -> str:
    """Render one cell: floats with 4 significant digits, ``None``/NaN as ``""``, tuples as AxB.

    >>> [format_cell(v) for v in (3.14159, 1e-5, None, float("nan"), (4, 8), True)]
    ['3.142', '1.000e-05', '', '', '4x8', 'yes']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value != 0.0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


class Table:
    """Rows with named columns.

    ``str(table)`` is an aligned terminal table, :meth:`to_markdown` a GitHub Markdown table,
    :meth:`to_dict` ``{"columns": [...], "rows": [{column: value}, ...]}`` with plain Python
    values (JSON-serializable). Indexing and iteration go over the rows (dicts).

    >>> t = Table(("name", "tau"), [{"name": "f", "tau": 3.71828}], "timescales")
    >>> print(t.to_markdown())
    **timescales**
    <BLANKLINE>
    | name | tau |
    |---|---|
    | f | 3.718 |
    >>> t.to_dict()["rows"]
    [{'name': 'f', 'tau': 3.71828}]
    """

    def __init__(
        self,
        columns: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        title: str = "",
    ) -> None:
        self.columns: tuple[str, ...] = tuple(columns)
        self.rows: list[dict[str, Any]] = [{c: r.get(c) for c in self.columns} for r in rows]
        self.title = title

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def _visible_columns(self) -> list[str]:
        """Columns with at least one non-empty cell (empty columns are not printed)."""
        return [c for c in self.columns if any(format_cell(r[c]) for r in self.rows)]

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        cols = self._visible_columns() or list(self.columns)
        return cols, [[format_cell(r[c]) for c in cols] for r in self.rows]

    def to_text(self) -> str:
        """The aligned terminal table (numbers right-aligned), preceded by the title if any."""
        cols, cells = self._cells()
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
        numeric = [
            all(isinstance(r[c], int | float) or r[c] is None for r in self.rows) for c in cols
        ]

        def line(values: Sequence[str]) -> str:
            parts = [
                v.rjust(w) if num else v.ljust(w)
                for v, w, num in zip(values, widths, numeric, strict=True)
            ]
            return "  ".join(parts).rstrip()

        out = [self.title] if self.title else []
        out.append(line(cols))
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(row) for row in cells)
        if not self.rows:
            out.append("(no rows)")
        return "\n".join(out)

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
        cols, cells = self._cells()
        head = "| " + " | ".join(cols) + " |"
        sep = "|" + "|".join("---" for _ in cols) + "|"
        body = ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in cells]
        text = "\n".join([head, sep, *body])
        return f"**{self.title}**\n\n{text}" if self.title else text

    def to_dict(self) -> dict[str, Any]:
        """``{"title", "columns", "rows"}`` with plain Python values (tuples become lists)."""
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [{c: _plain(v) for c, v in r.items()} for r in self.rows],
        }

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.rows)} rows x {len(self.columns)} columns)"


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
