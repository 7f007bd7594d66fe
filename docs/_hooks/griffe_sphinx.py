"""Griffe extension: the Sphinx conventions rnninit's docstrings use, for mkdocstrings.

rnninit's docstrings are Google style, with three Sphinx habits that Griffe does not read:

* ``#:`` comment lines right above an assignment document a constant (``#: Gate names per
  family ...`` over ``GATES = {...}``). Griffe only reads a string placed *below* it, so such a
  constant would have no docstring. They become the attribute's docstring (an attribute that
  already has one is left alone).
* Cross-reference roles (``:func:`describe```, ``:class:`~rnninit.InitialState```, ...). Each is
  resolved like Sphinx does (the docstring's own scope, then ``rnninit.NAME``, then a unique
  public object of that name in the package) and becomes a link to the object's entry in the
  API reference (plain code when the object is not rendered, e.g. a private helper). A role that
  names nothing in the package is a stale reference: it is logged as a warning, so
  ``mkdocs build --strict`` fails.
* Bare doctest blocks (``>>>`` lines at the docstring's own indentation) become ``pycon`` code
  fences.

Loaded by mkdocstrings (``extensions:`` in mkdocs.yml); not part of the rnninit package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?:func|meth|class|exc|data|const|attr|mod|obj):`(~?)([\w.]+)(\(\))?`"
)


def _objects(obj: griffe.Object) -> list[griffe.Object]:
    """``obj`` and every object defined under it (aliases are documented at their target)."""
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(_objects(member))  # type: ignore[arg-type]
    return found


def _fence_doctests(text: str) -> str:
    """Wrap every unindented doctest block (``>>>`` lines and their output, up to a blank line)
    in a ``pycon`` code fence, as Sphinx shows it; Markdown would read its output as text (a
    list ``['a', 'b']`` as a link reference). Blocks inside an ``Examples:`` section are
    indented and left to Griffe."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```pycon", *block, "```"]
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


class SphinxConventions(griffe.Extension):
    """Read ``#:`` comments as attribute docstrings; turn Sphinx roles into autorefs."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        objects = _objects(pkg)
        for obj in objects:
            if obj.is_attribute and obj.docstring is None:
                self._comment_docstring(obj)
        by_name: dict[str, list[str]] = {}
        for obj in objects:
            by_name.setdefault(obj.name, []).append(obj.path)
        for obj in objects:
            if obj.docstring is not None:
                obj.docstring.value = _fence_doctests(
                    _ROLE.sub(
                        lambda match, obj=obj: self._link(match, obj, pkg, by_name),  # type: ignore[misc]
                        obj.docstring.value,
                    )
                )

    @staticmethod
    def _comment_docstring(attr: griffe.Object) -> None:
        if attr.lineno is None:
            return
        try:
            lines = attr.lines_collection[attr.filepath]  # type: ignore[index]
        except (KeyError, ValueError, TypeError):
            return
        comment: list[str] = []
        index = attr.lineno - 2  # the line above the assignment (lineno is 1-based)
        while index >= 0 and lines[index].lstrip().startswith("#:"):
            text = lines[index].lstrip()[2:]
            comment.insert(0, text[1:] if text.startswith(" ") else text)
            index -= 1
        if comment:
            attr.docstring = griffe.Docstring(
                "\n".join(comment), lineno=index + 2, endlineno=attr.lineno - 1, parent=attr
            )

    @staticmethod
    def _canonical(path: str, pkg: griffe.Module) -> str | None:
        try:
            target = pkg.modules_collection.get_member(path)
            return target.final_target.path if target.is_alias else target.path  # type: ignore[no-any-return]
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None

    def _resolve(
        self, name: str, obj: griffe.Object, pkg: griffe.Module, by_name: dict[str, list[str]]
    ) -> str | None:
        head, _, rest = name.partition(".")
        candidates: list[str] = []
        scope = obj if obj.is_module or obj.is_class else obj.parent
        try:
            resolved = scope.resolve(head) if scope is not None else None
            if resolved:
                candidates.append(f"{resolved}.{rest}" if rest else resolved)
        except griffe.NameResolutionError:
            pass
        candidates += [name, f"{pkg.name}.{name}"]
        for candidate in candidates:
            path = self._canonical(candidate, pkg)
            if path is not None:
                return path
        last = name.rsplit(".", 1)[-1]
        matches = {
            path
            for path in by_name.get(last, [])
            if path.endswith("." + name) and not any(p.startswith("_") for p in path.split("."))
        }
        return matches.pop() if len(matches) == 1 else None

    def _link(
        self,
        match: re.Match[str],
        obj: griffe.Object,
        pkg: griffe.Module,
        by_name: dict[str, list[str]],
    ) -> str:
        short, name, call = match.group(1), match.group(2), match.group(3) or ""
        text = (name.rsplit(".", 1)[-1] if short else name) + call
        path = self._resolve(name, obj, pkg, by_name)
        if path is None:
            griffe.logger.warning(
                "%s:%s: Sphinx role %s names nothing in %s (stale reference?)",
                obj.relative_filepath,
                obj.docstring.lineno if obj.docstring else obj.lineno,
                match.group(0),
                pkg.name,
            )
            return f"`{text}`"
        return (
            f'<autoref identifier="{html.escape(path)}" optional><code>{html.escape(text)}'
            "</code></autoref>"
        )
