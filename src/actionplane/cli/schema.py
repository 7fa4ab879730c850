"""`actionplane schema`: print the JSON Schemas of the workspace files."""

from __future__ import annotations

import json

import click

from actionplane.config.schema import SCHEMA_NAMES, load_schema


@click.command()
@click.argument("name", type=click.Choice(SCHEMA_NAMES))
def schema(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) of connectors.yaml or a policy file.

    Point your editor's YAML language server at the output, for example:

        actionplane schema policy > .actionplane/policy.schema.json
    """
    click.echo(json.dumps(load_schema(name), indent=2))
