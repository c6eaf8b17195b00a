"""``cns list``: the valid criteria values and the overlays, with what each matches and adds."""

from __future__ import annotations

import click

from ..recipes import load_store
from ..recipes.catalog import build_catalog
from ..serialize import Format
from .documents import write_document
from .options import data_option, debug_option, output_format, output_options
from .tables import render_catalog_table


@click.command("list")
@data_option
@output_options(Format.TABLE)
@debug_option
def list_command(data_dir: str | None, output: str, fmt: str | None) -> None:
    """List the criteria values cns accepts and the overlays a recipe is built from.

    Each overlay shows the criteria it matches (a criterion it omits matches anything),
    the recipe it builds on, and what it adds: components, versions, values,
    manifests and constraints. The same document is GET /v1/criteria.

    \b
    Examples:
      cns list
      cns list --format json | jq '.overlays[].name'
    """
    fmt_out = output_format(output, fmt, Format.TABLE)
    catalog = build_catalog(load_store(data_dir))
    write_document(catalog.to_dict(), output, fmt_out, table=render_catalog_table)
