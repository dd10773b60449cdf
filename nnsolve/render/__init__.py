"""Renderers: one per output format, each over the same Solution; imported only when used."""

from __future__ import annotations

from importlib import import_module

from .base import RenderOptions

FORMATS = {
    "text": ("nnsolve.render.text", "render_text"),
    "json": ("nnsolve.render.json", "render_json"),
    "markdown": ("nnsolve.render.markdown", "render_markdown"),
    "latex": ("nnsolve.render.latex", "render_latex"),
}


def render(solution, fmt: str = "text", options: RenderOptions | None = None, **kw) -> str:
    """Render a Solution in a format (text, markdown, latex, json)."""
    if options is None:
        options = RenderOptions(**kw)
    module, name = FORMATS[fmt]
    if fmt != "json":       # JSON escapes every character itself
        from .base import clean_solution
        clean_solution(solution)
    return getattr(import_module(module), name)(solution, options)


from ..callable_module import callable_as  # noqa: E402  (after render is defined)

callable_as(__name__, render)
