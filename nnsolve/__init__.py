"""nnsolve: worked solutions to neural-network homework, step by step.

    from . import load_problem, solve, render
    problem = load_problem("problems/seed-backprop.yaml")
    print(render(solve(problem), "text"))
"""

__version__ = "0.1.0"
__all__ = ["load_problem", "solve", "render", "__version__"]


def __getattr__(name):
    # the library's entry points, imported lazily so `nnsolve --help` stays fast
    if name == "load_problem":
        from .load import load_problem
        return load_problem
    if name == "solve":
        from .solve import solve
        return solve
    if name == "render":
        from .render import render
        return render
    raise AttributeError(name)
