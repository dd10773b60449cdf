"""A package's submodule that is also callable as the function it is named after."""

from __future__ import annotations

import sys


def callable_as(module_name: str, function) -> None:
    """Make the module callable as ``function``: importing ``nnsolve.solve`` (or
    ``nnsolve.render``) binds the package's attribute of that name to the module, and
    ``from nnsolve import solve, render`` must still give things that solve and render."""
    module = sys.modules[module_name]

    class CallableModule(type(module)):
        def __call__(self, *args, **kwargs):
            return function(*args, **kwargs)

    module.__class__ = CallableModule
