"""nnsolve: worked solutions to neural-network homework, step by step.

    import nnsolve
    solution = nnsolve.solve("problems/seed-backprop.yaml")   # a path, YAML text or a dict
    print(solution.to("text"))       # or "markdown", "latex", "json"; a notebook shows it typeset

    from nnsolve import load_problem, solve, render
    print(render(solve(load_problem("problems/seed-backprop.yaml")), "text"))
"""

__version__ = "0.1.0"
__all__ = ["load_problem", "solve", "render", "ProblemError", "__version__"]


def __getattr__(name):
    # the library's entry points, imported lazily so `nnsolve --help` stays fast
    if name == "load_problem":
        from .load import load_problem
        return load_problem
    if name == "solve":
        # importing the submodule nnsolve.solve binds this name to it: bind the function back
        # (the module is callable too, for when another import bound it first)
        from importlib import import_module
        module = import_module("nnsolve.solve")
        globals()["solve"] = module.solve
        return module.solve
    if name == "ProblemError":
        from .errors import ProblemError
        return ProblemError
    if name == "render":
        from .render import render
        return render
    raise AttributeError(name)
