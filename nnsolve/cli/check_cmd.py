"""nnsolve check."""

import click

from .common import (make_output, output_dir_exists, output_options, progress, render_solution,
                     write_output)


def _answers_paths(ctx, param, value):
    """One answers file must exist (a usage error otherwise, as click reports it); in a class
    run a missing file or a folder among the files is a row of the summary, as a broken file."""
    if len(value) == 1 and value[0] != "-":
        click.Path(exists=True, dir_okay=False).convert(value[0], param, ctx)
    return value


@click.command(short_help="Grade claimed answers against the computed solution.")
@click.argument("answers", nargs=-1, required=True, callback=_answers_paths,
                type=click.Path(allow_dash=True))
@click.option("--abs", "abs_tol", metavar="X",
              help="Absolute tolerance for every file (default: the file's, else 0.001).")
@click.option("--rel", "rel_tol", metavar="X",
              help="Relative tolerance for every file (default: the file's, else 0.001).")
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              callback=output_dir_exists,
              help="Also write the gradebook there as CSV: one row per answers file (file, "
                   "student, right, of, earliest_wrong, mistakes, error); - for standard output "
                   "instead of the report.")
@click.option("--json", "json_path", metavar="FILE", type=click.Path(dir_okay=False),
              callback=output_dir_exists,
              help="Also write the gradebook there as JSON, one record per answers file; - for "
                   "standard output instead of the report.")
@output_options
@click.pass_context
def check(ctx, answers, abs_tol, rel_tol, csv_path, json_path, **kwargs):
    """Grade answers files: each claimed value right or wrong, the right value beside it, and
    for a wrong one the earliest wrong step and the likely mistake (the factor 2 of the squared
    loss dropped, the ReLU gate ignored, η applied wrongly, the kernel flipped, the padding
    forgotten, floor for ceil, the |w| lost in the p-norm, ...).

    An answers file names its problem and copies part of the problem's JSON output:

    \b
      problem: ../seed-backprop.yaml     # relative to the answers file
      student: Ada                       # optional (default: the file's name)
      tolerance: {abs: 0.001, rel: 0.001}   # optional; right when within either
      answers:
        loss: 9
        layers:                          # backprop: the first step, layers by number
          3: {dJ_dW: [[0, -18]], W_new: [[-1, 1.18]]}

    Several files grade a class, with a summary table; a file that cannot be read or is not a
    valid answers file is a row of the summary with its error, and the others are still graded.
    Exit status 0 when every claimed value is right, 1 when any is wrong or a file could not be
    graded.

    \b
    Example:
      nnsolve check problems/answers/seed-answers-wrong.yaml
      nnsolve check answers/*.yaml --csv grades.csv
      nnsolve check answers/*.yaml --format json -o report.json
    """
    from ..check import (DEFAULT_TOLERANCE, Tolerance, all_right, grade_files, gradebook_csv,
                         gradebook_json, report)
    from ..numbers import parse_number
    out = make_output(kwargs)
    if out.detail is not None:      # never silently ignored
        raise click.UsageError("--detail: check reports every claimed value, whatever the "
                               "problem's size; --detail is for the solving commands")
    tolerance = None
    if abs_tol is not None or rel_tol is not None:
        values = []
        for name, text, default in (("--abs", abs_tol, DEFAULT_TOLERANCE.abs),
                                    ("--rel", rel_tol, DEFAULT_TOLERANCE.rel)):
            try:
                v = default if text is None else parse_number(text)
            except ValueError as e:
                raise click.BadParameter(str(e), param_hint=name) from None
            if v < 0:
                raise click.BadParameter("expected a tolerance ≥ 0", param_hint=name)
            values.append(v)
        tolerance = Tolerance(*values)
    to_stdout = [name for name, path in (("--csv", csv_path), ("--json", json_path))
                 if path == "-"]
    if len(to_stdout) > 1 or (to_stdout and out.output == "-"):
        raise click.UsageError(f"{' and '.join(to_stdout + (['-o'] if out.output == '-' else []))}"
                               f" cannot all write to standard output")
    with progress(len(answers), "Grading") as step:
        reports = grade_files(answers, tolerance, on_file=step,
                              class_run=len(answers) > 1 or csv_path is not None
                              or json_path is not None)
    if not to_stdout or out.output is not None:
        write_output(render_solution(report(reports), out), out.output)
    if csv_path is not None:
        write_output(gradebook_csv(reports), csv_path)
    if json_path is not None:
        write_output(gradebook_json(reports), json_path)
    if not all_right(reports):
        ctx.exit(1)
