"""The command line: parse, call a use case (`scheduler.service`), present the result, and map
errors to exit codes in this one place (the codes are defined beside the errors, in `errors`).

Only click is imported at start-up; each command imports the service when it runs, so
`lmsched --help` costs little more than Python and click.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .._version import __version__
from ..errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    SchedulerError,
    Spell,
    Terminated,
    safe_line,
)

__all__ = ["cli", "entry", "main"]


def _speller(command: click.Command | None) -> Spell:
    """Options as this command spells them: its own flag for each parameter ('override_reasons'
    -> '--reason' in `plan`, '--override-reason' in `reschedule`), else the field as a flag."""
    flags = {
        p.name: max(p.opts, key=len)
        for p in (command.params if command is not None else [])
        if isinstance(p, click.Option) and p.name
    }
    return lambda name: flags.get(name) or f"--{name.replace('_', '-')}"


class _Lmsched(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        """Note the command an error came from, so its message spells that command's flags; show
        the use cases' warnings (a saved plan's legacy zone) as one `lmsched: warning:` line each."""
        import warnings

        from ..zones import ZoneWarning

        with warnings.catch_warnings():
            warnings.simplefilter("always", ZoneWarning)
            shown = warnings.showwarning

            def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
                if issubclass(category, ZoneWarning):
                    click.echo(f"lmsched: warning: {message}", err=True)
                else:
                    shown(message, category, *args, **kwargs)

            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except SchedulerError as exc:
                name = ctx.invoked_subcommand
                exc.spell = _speller(self.get_command(ctx, name) if name else None)
                raise


@click.group(cls=_Lmsched, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lmsched")
def cli() -> None:
    """Dated, checked schedules for leptomeningeal-metastasis treatment.

    A scheduling aid: verify every date and dose against the signed order.
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error becomes one line on stderr and its exit code. SIGTERM is turned
    into `Terminated` (a KeyboardInterrupt) while it runs, so a service manager's stop cleans up
    as Ctrl-C does (no temporary file left, a batch's workers stopped) instead of killing mid-write."""
    import signal
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(_signum: int, _frame: Any) -> None:
    raise Terminated


def _interrupted(exc: BaseException) -> int:
    terminated = isinstance(exc, Terminated)
    click.echo(f"lmsched: {'terminated (SIGTERM)' if terminated else 'interrupted'}", err=True)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="lmsched", standalone_mode=False)
    except SchedulerError as exc:
        click.echo(f"lmsched: error: {exc.render(exc.spell or _speller(None))}", err=True)
        return exc.exit_code
    except click.exceptions.UsageError as exc:
        message = safe_line(exc.format_message())  # click quotes the value given, in full
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"lmsched: error: {message}{where}", err=True)
        return EXIT_INPUT
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C or SIGTERM (click wraps them)
            return _interrupted(exc.__cause__)
        click.echo("lmsched: aborted", err=True)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:  # outside a command (click raises Abort inside one)
        return _interrupted(exc)
    except click.ClickException as exc:
        click.echo(f"lmsched: error: {safe_line(exc.format_message())}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; outputs were already written. Silence the
        # interpreter's own flush of the dead pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: say so in one line, keep the traceback for developers
        if os.environ.get("LMSCHED_DEBUG"):
            raise
        click.echo(
            f"lmsched: internal error: {safe_line(f'{type(exc).__name__}: {exc}')} "
            "(please report it; set LMSCHED_DEBUG=1 for the traceback)",
            err=True,
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


def entry() -> None:
    """The console command: `main`, then the process ends without the interpreter's teardown
    (freeing every module and object: some 25 ms, pydantic's classes most of it), once standard
    output and error are flushed. Every file lmsched writes is already written, synced and closed
    by then (the atomic writer), and a batch's workers are waited for. Only here: `main` itself
    returns to its caller (the tests call it in-process). `LMSCHED_TEARDOWN=1` keeps the normal
    exit (for profilers and coverage, which write their data at exit)."""
    code = main()
    if os.environ.get("LMSCHED_TEARDOWN"):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the normal exit reports it as Python does
        sys.exit(code)
    os._exit(code)


from . import (  # noqa: E402
    batch,
    catalogue,
    diff,
    export,
    plan,
    publish,
    reconcile,
    reschedule,
    sitekey,
    users,
    workspace,
)

for _module in (
    plan,
    export,
    reschedule,
    diff,
    reconcile,
    batch,
    publish,
    catalogue,
    sitekey,
    workspace,
    users,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
