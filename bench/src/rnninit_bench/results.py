"""The results file: one JSON object per finished run, appended and flushed as each run ends.

An interrupted sweep loses nothing already finished; a torn last line (the process killed while
writing) is ignored on reading. A folder may hold several ``results*.jsonl`` files (e.g. one per
cluster shard); :func:`load_results` reads them all and keeps one record per run id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["ResultsStore", "load_results"]


class ResultsStore:
    """Append-only JSON-lines store of run records keyed by ``record["id"]``.

    >>> import tempfile, pathlib
    >>> store = ResultsStore(pathlib.Path(tempfile.mkdtemp()) / "results.jsonl")
    >>> store.append({"id": "a1", "solved": True})
    >>> sorted(store.ids())
    ['a1']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_folder(cls, folder: str | Path) -> ResultsStore:
        """The store a sweep into ``folder`` appends to and skips by: ``folder/results.jsonl``.

        >>> ResultsStore.in_folder("bench-out").path.as_posix()
        'bench-out/results.jsonl'
        """
        return cls(Path(folder) / "results.jsonl")

    def records(self) -> list[dict[str, Any]]:
        """Every complete record in the file, in order (torn or blank lines skipped)."""
        if not self.path.exists():
            return []
        out: list[dict[str, Any]] = []
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line torn by an interruption
                if isinstance(rec, dict) and "id" in rec:
                    out.append(rec)
        return out

    def ids(self) -> set[str]:
        """Ids of the runs already finished."""
        return {str(r["id"]) for r in self.records()}

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as a line, flushed and fsynced before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, sort_keys=True, allow_nan=True)
        # a torn last line (no newline) must not swallow this record
        needs_newline = False
        if self.path.exists() and self.path.stat().st_size > 0:
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        with self.path.open("a", encoding="utf-8") as fh:
            if needs_newline:
                fh.write("\n")
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def load_results(folder: str | Path) -> list[dict[str, Any]]:
    """Records of every ``results*.jsonl`` in ``folder`` (or of one file), one per run id.

    Raises:
        FileNotFoundError: no results file there.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ResultsStore(folder / "results.jsonl").append({"id": "a1"})
    >>> [r["id"] for r in load_results(folder)]
    ['a1']
    """
    path = Path(folder)
    files = [path] if path.is_file() else sorted(path.glob("results*.jsonl"))
    if not files:
        raise FileNotFoundError(
            f"no results*.jsonl in {str(path)!r}: run `rnninit bench --out DIR`"
        )
    seen: dict[str, dict[str, Any]] = {}
    for f in files:
        for rec in ResultsStore(f).records():
            seen.setdefault(str(rec["id"]), rec)
    return list(seen.values())
