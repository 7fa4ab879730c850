"""`actionplane sandbox serve | reset`: run and reset the embedded Zoho sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from actionplane.errors import UsageError, ZohoError
from actionplane.zoho.hosts import is_loopback

DEFAULT_PORT = 8765
STATE_HELP = (
    "JSON file that keeps the sandbox state between runs [default: memory only]."
)


@click.group()
def sandbox() -> None:
    """Run the embedded Zoho CRM sandbox: Zoho's accounts and CRM v8 endpoints
    on loopback, with seeded credentials, records and injectable faults.

        actionplane sandbox serve --state .actionplane/sandbox.json
    """


@sandbox.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to listen on."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="TCP port to listen on; 0 picks a free one.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=STATE_HELP,
)
@click.option("--allow-remote", is_flag=True, help="Allow a host other than loopback.")
@click.option(
    "--print-env",
    is_flag=True,
    help="Also print `export` lines with the seeded sandbox credentials.",
)
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=0,
    help="Delay before every response, in milliseconds.",
)
@click.option(
    "--rate-limit-after",
    type=click.IntRange(min=0),
    help="Respond 429 TOO_MANY_REQUESTS to CRM calls after this many authenticated ones.",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    help="Respond 429 to CRM calls beyond this many in flight.",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Fraction of CRM calls that get 500 INTERNAL_ERROR (0 to 1).",
)
@click.option(
    "--error-seed",
    type=click.IntRange(min=0),
    default=0,
    help="Seed of the --error-rate sequence.",
)
@click.option(
    "--fail-next-reads",
    type=click.IntRange(min=0),
    default=0,
    help="Respond 500 to the first N CRM reads.",
)
@click.option(
    "--alter-next-write",
    "alter_next_write",
    metavar="FIELD=VALUE",
    multiple=True,
    callback=lambda _context, _param, pairs: _parse_alterations(pairs),
    help="Store VALUE in FIELD after the next record write that lands, in place"
    " of the written value, as a Zoho workflow field update would. The write"
    " still returns 200 SUCCESS. VALUE is read as JSON when it parses, else as"
    " text. Repeat for more fields.",
)
@click.option(
    "--api-domain",
    help="api_domain to send in token responses instead of the server URL.",
)
@click.option(
    "--legacy-token-shape",
    is_flag=True,
    help="Send expires_in in milliseconds plus expires_in_sec.",
)
@click.option(
    "--unknown-fields",
    type=click.Choice(["reject", "ignore"]),
    default="reject",
    show_default=True,
    help="What a write does with field names the module lacks.",
)
@click.option(
    "--accept-new-picklist-values",
    is_flag=True,
    help="Store unknown picklist values instead of rejecting them.",
)
@click.option(
    "--token-ttl",
    "token_ttl_seconds",
    type=click.IntRange(min=1),
    default=3600,
    show_default=True,
    help="Access token lifetime, in seconds.",
)
@click.option(
    "--refresh-limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Token refreshes allowed per refresh token per window.",
)
@click.option(
    "--refresh-window",
    "refresh_window_seconds",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Refresh rate-limit window, in seconds.",
)
def serve(
    host: str,
    port: int,
    state_path: Path | None,
    allow_remote: bool,
    print_env: bool,
    **switches: Any,
) -> None:
    """Serve the sandbox until interrupted (Ctrl-C exits 130).

    Point a connector's loginUrl and instanceUrl at the printed URL and set
    the credential variables it names; the values are sandbox-only constants
    in actionplane.zoho.sandbox.seed. The control endpoint under
    /__sandbox__/ changes switches at run time, for example:

        actionplane sandbox serve --port 0 --latency-ms 200
    """
    from actionplane.zoho.sandbox import SandboxOptions, SandboxServer

    if not allow_remote and not is_loopback(f"http://{_bracketed(host)}"):
        raise UsageError(
            f"--host {host} is not a loopback address and the sandbox has no real "
            "security; use 127.0.0.1, or pass --allow-remote to listen there anyway"
        )
    options = SandboxOptions().updated(switches)
    server = SandboxServer(host, port, state_path=state_path, options=options)
    click.echo(_banner(server.url, state_path, print_env))
    server.serve_forever()


@sandbox.command()
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="State file to reseed.",
)
@click.option(
    "--url", help="Base URL of a running sandbox to reset, e.g. http://127.0.0.1:8765."
)
def reset(state_path: Path | None, url: str | None) -> None:
    """Restore the seeded records, credentials and switches.

    Give --state to reseed a state file (a server using it reloads it before
    its next request), or --url to reset a running server:

        actionplane sandbox reset --url http://127.0.0.1:8765
    """
    if (state_path is None) == (url is None):
        raise UsageError(
            "give exactly one of --state FILE or --url URL to say which sandbox to reset"
        )
    if state_path is not None:
        from actionplane.zoho.sandbox.store import SandboxStore

        SandboxStore(state_path).reset()
        click.echo(f"Reset the sandbox state in {state_path} to its seed.")
        return
    assert url is not None
    _reset_running(url)
    click.echo(f"Reset the sandbox at {url} to its seed.")


def _reset_running(url: str) -> None:
    import httpx

    if not is_loopback(url):
        raise UsageError(
            f"--url {url} is not a loopback URL; the sandbox control endpoint only "
            "serves loopback clients, so run reset on the sandbox's own host"
        )
    endpoint = f"{url.rstrip('/')}/__sandbox__/reset"
    try:
        response = httpx.post(endpoint, timeout=10)
    except httpx.HTTPError as exc:
        raise ZohoError(
            f"cannot reach the sandbox at {url}: {exc}; check the URL that "
            "`actionplane sandbox serve` printed"
        ) from exc
    if response.status_code != 200:
        raise ZohoError(
            f"the sandbox at {url} returned HTTP {response.status_code} to reset: "
            f"{response.text[:200]}; check that the URL is an ActionPlane sandbox"
        )


def _parse_alterations(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    if not pairs:
        return None
    values: dict[str, Any] = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if not separator or not name.strip():
            raise click.BadParameter(
                f"{pair!r} is invalid. Use FIELD=VALUE, such as"
                " Next_Step=Set by a workflow",
                param_hint="--alter-next-write",
            )
        values[name.strip()] = _json_or_text(text)
    return values


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _banner(url: str, state_path: Path | None, print_env: bool) -> str:
    from actionplane.zoho.sandbox import seed

    lines = [
        f"Zoho sandbox listening on {url}",
        f"  loginUrl and instanceUrl: {url}",
        f"  state: {state_path or 'memory only'}",
        f"  control endpoint: {url}/__sandbox__/options",
    ]
    if not print_env:
        lines.append(
            f"  credentials: set {', '.join(seed.ENV_VARS)} to the sandbox-only values "
            "in actionplane.zoho.sandbox.seed, or rerun with --print-env"
        )
    else:
        lines.append(
            "  credentials: run these lines in the shell that runs actionplane"
        )
        # These constants open this sandbox and nothing else, so printing them
        # on request is safe; they are off by default to keep logs clean.
        lines += [f"export {name}={value}" for name, value in seed.ENV_VARS.items()]
    return "\n".join(lines)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
