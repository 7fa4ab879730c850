"""The `actionplane` command line.

Subcommands live one module per command group and are imported only when they
run, so `actionplane --version` and `--help` stay fast.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from actionplane import __version__
from actionplane.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ActionPlaneError,
)

# Command name -> "module:attribute" of the click command, loaded on first use.
COMMANDS: dict[str, str] = {
    "validate": "actionplane.cli.validate:validate",
    "check": "actionplane.cli.validate:check",
    "plan": "actionplane.cli.plan:plan",
    "apply": "actionplane.cli.plan:apply",
    "lock": "actionplane.cli.plan:lock",
    "unlock": "actionplane.cli.plan:unlock",
    "test": "actionplane.cli.test:test",
    "schema": "actionplane.cli.schema:schema",
    "sandbox": "actionplane.cli.sandbox:sandbox",
    "connectors": "actionplane.cli.connectors:connectors",
    "comment": "actionplane.cli.comment:comment",
    "run": "actionplane.cli.run:run",
    "audit": "actionplane.cli.audit:audit",
    "sample": "actionplane.cli.sample:sample",
    "status": "actionplane.cli.status:status",
    "demo": "actionplane.cli.demo:demo",
}

EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    failure: invalid config, failing tests, a refused or failed operation
  2    usage error (for `plan --detailed-exitcode`: the plan has changes)
  3    internal error (a bug; please report it with the output)
  10   run: pending approval
  11   run: denied by the allowlist or the rules
  12   run: conflict or failed verification (see `actionplane run --help`)
  130  interrupted"""


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def invoke(self, ctx: click.Context) -> Any:
        # Handled errors are reported here rather than only in `main`, so tests that
        # drive the group with click's CliRunner see the same output and exit code.
        # The subcommand's arguments are still unparsed here, and consumed later.
        as_json = _wants_json(list(ctx.args))
        try:
            return super().invoke(ctx)
        except ActionPlaneError as exc:
            report_error(exc, as_json=as_json)
            ctx.exit(exc.exit_code)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, "--version", prog_name="actionplane")
@click.option(
    "-v", "--verbose", count=True, help="Log more detail to stderr (-vv for debug)."
)
def cli(verbose: int) -> None:
    """Govern writes into your CRM: rules in git, previewed and reversible runs."""
    _configure_logging(verbose)


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose > 1:
        level = logging.DEBUG
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("actionplane")
    logger.handlers[:] = [
        h for h in logger.handlers if not isinstance(h, _StderrHandler)
    ]
    logger.addHandler(handler)
    logger.setLevel(level)


class _StderrHandler(logging.Handler):
    """Write to whatever `sys.stderr` is at the time of the record.

    Click's test runner swaps `sys.stderr` per invocation, so a handler that
    kept the stream of its first run would write into a closed buffer later.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # the logging module's own contract for emit()
            self.handleError(record)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; raised so that cleanup code runs as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map errors to the documented exit codes."""
    import signal

    # A terminated command unwinds like an interrupted one, so half-done work
    # (a connector being saved, a lock being held) is put back or released.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_terminated)
    try:
        code = cli.main(args=argv, prog_name="actionplane", standalone_mode=False)
    except ActionPlaneError as exc:
        report_error(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
        if _wants_json(list(sys.argv[1:] if argv is None else argv)):
            _echo_json_error(exc.format_message(), code, [])
        exc.show()
        sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated as exc:
        click.echo("Terminated.", err=True)
        sys.exit(128 + exc.signum)
    except Exception as exc:  # the last-resort handler for bugs
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo(
            "This is a bug in actionplane; rerun with -vv and report it.", err=True
        )
        logging.getLogger("actionplane").debug("traceback", exc_info=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def _wants_json(args: list[str]) -> bool:
    """Tell whether the command line requests `--format json`."""
    for index, arg in enumerate(args):
        if arg == "--format=json":
            return True
        if arg == "--format" and args[index + 1 : index + 2] == ["json"]:
            return True
    return False


def _echo_json_error(message: str, exit_code: int, diagnostics: list[Any]) -> None:
    import json

    body = {
        "format_version": "1",
        "ok": False,
        "error": {
            "message": message,
            "exit_code": exit_code,
            "diagnostics": diagnostics,
        },
    }
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


def report_error(exc: ActionPlaneError, *, as_json: bool = False) -> None:
    """Print the error on stderr, and as a JSON object on stdout when asked."""
    from actionplane.diagnostics import render_text

    if as_json:
        _echo_json_error(
            exc.message, exc.exit_code, [d.to_dict() for d in exc.diagnostics]
        )
    if exc.diagnostics:
        click.echo(render_text(exc.diagnostics), err=True)
    click.echo(f"Error: {exc.message}", err=True)
