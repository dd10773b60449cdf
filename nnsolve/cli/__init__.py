"""The command line: a thin layer over the library (parse → load → solve → render → write)."""

from __future__ import annotations

import os
from importlib import import_module

import click

from .. import __version__

# command name -> module in nnsolve.cli holding a click command of the same name
COMMANDS = ["backprop", "conv", "pool", "shape", "regularize", "graph", "solve", "check", "new"]


class NnsolveGroup(click.Group):
    """Loads each command's module only when it is asked for, and turns errors into one line."""

    def list_commands(self, ctx):
        return [c for c in COMMANDS if self.get_command(ctx, c) is not None]

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        try:
            module = import_module(f"nnsolve.cli.{name}_cmd")
        except ModuleNotFoundError as e:
            if e.name == f"nnsolve.cli.{name}_cmd":
                return None
            raise
        return getattr(module, name)

    def invoke(self, ctx):
        from ..errors import NnsolveError
        try:
            return super().invoke(ctx)
        except NnsolveError as e:
            if os.environ.get("NNSOLVE_DEBUG"):
                raise
            raise click.ClickException(str(e)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt,
                SystemExit, BrokenPipeError):
            raise
        except Exception as e:  # a bug: say so, without a raw traceback
            if os.environ.get("NNSOLVE_DEBUG"):
                raise
            from ..errors import internal_error
            raise click.ClickException(internal_error(e)) from None


@click.group(cls=NnsolveGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                 "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="nnsolve")
def cli():
    """Worked solutions to neural-network homework, step by step.

    Write a problem in YAML (see problems/ for examples) and nnsolve prints the solution as a
    teaching assistant would: each formula, the numbers put into it, the result.

    \b
    Examples:
      nnsolve backprop problems/seed-backprop.yaml
      nnsolve conv --input problems/I.txt --kernel problems/K.txt
      nnsolve shape --input 1x4x4 --kernel 2x2 --filters 2 --stride 2
      nnsolve regularize --p 2
    """


def main():
    """Entry point of the `nnsolve` console script."""
    cli(prog_name="nnsolve")
