"""MkDocs hooks for the rnninit site (``hooks:`` in mkdocs.yml; not part of the package).

1. Repository files outside ``docs/``. docs/BENCHMARKS.md links to the recorded benchmark runs
   with relative links such as ``../benchmarks/results/full/plots/curves_adding_T200_lstm.png``,
   which work on GitHub. MkDocs only knows files inside ``docs/``, so :func:`on_files` adds the
   files matched by :data:`REPO_FILES` under the name those links use (``../benchmarks/...``,
   relative to ``docs/``) and publishes them at their repository path (``benchmarks/...``) in
   the site. The Markdown stays unchanged; a link to a file not matched here still fails the
   strict build.
2. KaTeX, which renders the formulas (``pymdownx.arithmatex`` in generic mode marks them; the
   theme's ``extra_javascript`` runs ``javascripts/katex.js`` on them). ``make docs`` unpacks
   KaTeX's release from the npm registry and names its ``dist`` folder in ``RNNINIT_KATEX_DIR``;
   :func:`on_files` publishes the files the site needs (:data:`KATEX_FILES`) under
   ``assets/katex/``, so the site renders math offline. Without them the build warns (and
   ``--strict`` fails): run ``make docs``.
3. Completeness of the API reference. Every ``::: module`` block on a page under ``api/`` must
   render every name in that module's ``__all__``. A name that is not rendered (no docstring,
   or a function shadowed by a submodule of the same name, ``from .describe import describe``,
   which Griffe resolves to the submodule) is reported as a warning, so
   ``mkdocs build --strict`` fails instead of silently dropping it.
"""

from __future__ import annotations

import ast
import logging
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

log = logging.getLogger("mkdocs.hooks.rnninit")

#: Repository files (globs relative to the repository root) that the docs may link to.
REPO_FILES = (
    "benchmarks/results/*/REPORT.md",
    "benchmarks/results/*/CROSSDATA.md",
    "benchmarks/results/*/results.jsonl",
    "benchmarks/results/*/plots/*.png",
    "benchmarks/results/*/NULL.md",
    "benchmarks/results/*/RL.md",
    "benchmarks/results/*/FORECAST_LIBS.md",
    "benchmarks/results/*/NEVER_BEHIND.md",
    "benchmarks/results/forecast_versions/*/CROSSDATA.md",
    "benchmarks/results/forecast_versions/*/plots/*.png",
)

#: KaTeX's files the site loads (globs relative to its ``dist`` folder), published under
#: ``assets/katex/`` (mkdocs.yml's extra_javascript and extra_css name them there).
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/*")
KATEX_SITE = "assets/katex"

_IDENT = re.compile(r"^:::\s+([\w.]+)\s*$", re.MULTILINE)
_MODULES: dict[str, list[str]] = {}  # page src_uri -> modules documented with ::: on it


def _repo_root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def _katex_dir(root: Path) -> Path | None:
    """KaTeX's ``dist`` folder: ``RNNINIT_KATEX_DIR``, else the one ``make docs`` unpacked."""
    named = os.environ.get("RNNINIT_KATEX_DIR")
    if named:
        return Path(named)
    found = sorted(root.glob(".venv/katex-*/dist"))
    return found[-1] if found else None


def _add_katex(files: Files, config: Any, root: Path) -> None:
    dist = _katex_dir(root)
    if dist is None or not (dist / "katex.min.js").is_file():
        log.warning(
            "KaTeX not found (RNNINIT_KATEX_DIR=%s): formulas would not render; run `make docs`, "
            "which installs it from the npm registry",
            dist,
        )
        return
    for pattern in KATEX_FILES:
        for path in sorted(dist.glob(pattern)):
            uri = f"{KATEX_SITE}/{path.relative_to(dist).as_posix()}"
            files.append(
                File.generated(
                    config, uri, abs_src_path=str(path), inclusion=InclusionLevel.NOT_IN_NAV
                )
            )


def on_files(files: Files, config: Any) -> Files:
    root = _repo_root(config)
    _add_katex(files, config, root)
    docs = Path(config.docs_dir).resolve()
    for pattern in REPO_FILES:
        for path in sorted(root.glob(pattern)):
            repo_uri = path.relative_to(root).as_posix()
            # Where it lands in the site, computed as if the file sat at its repository path.
            site = File(repo_uri, str(root), config.site_dir, config.use_directory_urls)
            linked_as = posixpath.relpath(path.as_posix(), docs.as_posix())
            files.append(
                File(
                    linked_as,
                    str(docs),
                    config.site_dir,
                    config.use_directory_urls,
                    dest_uri=site.dest_uri,
                    inclusion=InclusionLevel.NOT_IN_NAV,  # published, reached by links only
                )
            )
    return files


def _exports(module: str, src: Path) -> list[str]:
    """The names in ``module.__all__`` that are not submodules, read without importing it.

    A submodule exported by name (``from . import initializers``) has its own API page.
    """
    base = src.joinpath(*module.split("."))
    path = base / "__init__.py" if (base / "__init__.py").is_file() else base.with_suffix(".py")
    if not path.is_file():
        return []
    exported: list[str] = []
    submodules: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            submodules.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            exported = [str(name) for name in ast.literal_eval(node.value)]
    return [name for name in exported if name not in submodules]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri.startswith("api/"):
        _MODULES[page.file.src_uri] = _IDENT.findall(markdown)
    return markdown


def _why(name: str, src: Path) -> str:
    """The likely reason ``name`` was not rendered."""
    shadows = sorted(
        path.relative_to(src).as_posix()
        for path in [*src.rglob(f"{name}.py"), *src.rglob(name)]
        if path.name in (name, f"{name}.py")
    )
    if shadows:
        return f"{name} (hidden by the submodule {', '.join(shadows)}: rename the file)"
    return f"{name} (no docstring)"


def _source_root(module: str, root: Path) -> Path:
    """Where ``module`` lives: ``src/`` (rnninit) or ``bench/src/`` (rnninit_bench)."""
    bench = root / "bench" / "src"
    return bench if (bench / module.split(".")[0]).is_dir() else root / "src"


def on_post_page(output: str, page: Any, config: Any) -> str:
    root = _repo_root(config)
    for module in _MODULES.get(page.file.src_uri, []):
        src = _source_root(module, root)
        missing = [n for n in _exports(module, src) if f'id="{module}.{n}"' not in output]
        if missing:
            log.warning(
                "API page '%s': names in %s.__all__ not rendered: %s",
                page.file.src_uri,
                module,
                "; ".join(_why(name, src) for name in missing),
            )
    return output
