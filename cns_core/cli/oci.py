"""OCI registries on the command line: ``cns bundle -o oci://...`` and ``cns bundle pull``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .. import __version__
from ..bundle.archive import write_tree, write_zip, zip_bytes
from ..errors import InvalidRequestError
from ..oci.reference import OCIReference, default_tag, is_oci, parse_reference
from .options import debug_option

if TYPE_CHECKING:
    from ..bundle import Bundle
    from ..oci.client import RegistryOptions

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PULL_OUTPUT = "./bundle"
REFERENCE_METAVAR = "oci://HOST[:PORT]/REPO[:TAG][@DIGEST]"


def registry_options(func: F) -> F:
    """``--plain-http``, ``--insecure-tls`` and ``--ca-file``: how to reach the registry."""
    func = click.option(
        "--ca-file",
        metavar="FILE",
        help="CA bundle (PEM) to verify the registry's TLS certificate with.",
    )(func)
    func = click.option(
        "--insecure-tls",
        is_flag=True,
        help="Do not verify the registry's TLS certificate.",
    )(func)
    return click.option(
        "--plain-http",
        is_flag=True,
        help="Talk to the registry over plain HTTP (no TLS), e.g. a local registry.",
    )(func)


def make_registry_options(
    plain_http: bool, insecure_tls: bool, ca_file: str | None
) -> RegistryOptions:
    from ..oci.client import RegistryOptions

    return RegistryOptions(plain_http=plain_http, insecure_tls=insecure_tls, ca_file=ca_file)


def output_reference(output: str) -> OCIReference | None:
    """The registry reference of ``-o oci://...`` (tag defaults to the cns version), else None."""
    if not is_oci(output):
        return None
    ref = parse_reference(output, default=default_tag(__version__))
    if ref.digest:
        raise InvalidRequestError(
            f"invalid --output {output!r}: push to a tag (oci://HOST/REPO:TAG), not a digest"
        )
    return ref


def refuse_registry_flags(
    plain_http: bool, insecure_tls: bool, ca_file: str | None, image_refs: str | None
) -> None:
    """Registry flags with a directory or zip output are a mistake, not something to ignore."""
    given = [
        flag
        for flag, value in (
            ("--plain-http", plain_http),
            ("--insecure-tls", insecure_tls),
            ("--ca-file", ca_file),
            ("--image-refs", image_refs),
        )
        if value
    ]
    if given:
        raise InvalidRequestError(
            f"{', '.join(given)}: only with -o oci://HOST/REPO[:TAG] (a registry output)"
        )


def push_output(
    result: Bundle,
    ref: OCIReference,
    options: RegistryOptions,
    image_refs: str | None,
    title: str,
) -> None:
    """Push the bundle, write ``--image-refs`` and tell the user what was pushed."""
    from ..oci import push_bundle

    pushed = push_bundle(result.files, ref, options, version=__version__)
    if image_refs:
        path = Path(image_refs)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{pushed}\n", encoding="utf-8")
    click.echo(f"{title} pushed to {ref.uri} ({result.file_count} files, {result.size:,} bytes)")
    click.echo(f"  digest: {pushed.digest}")
    click.echo(f"  reference: {pushed}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    flags = "".join(
        f" {flag}"
        for flag, on in (
            ("--plain-http", options.plain_http),
            ("--insecure-tls", options.insecure_tls),
        )
        if on
    )
    by_digest = f"oci://{pushed.name}@{pushed.digest}"
    click.echo("\nNext:")
    click.echo(f"  1. cns bundle pull {by_digest}{flags} -o ./bundle")


@click.command("pull")
@click.argument("reference", metavar=REFERENCE_METAVAR)
@click.option(
    "-o",
    "--output",
    default=DEFAULT_PULL_OUTPUT,
    show_default=True,
    metavar="DIR|FILE.zip",
    help="A directory (new, empty, or a previous bundle) or a .zip file.",
)
@registry_options
@debug_option
def pull(
    reference: str, output: str, plain_http: bool, insecure_tls: bool, ca_file: str | None
) -> None:
    """Fetch a bundle pushed with -o oci://..., verify it, and write it out.

    The manifest digest (when the reference has one), the layer digest and every file's
    sha256 in checksums.txt are checked before anything is written.

    \b
    Examples:
      cns bundle pull oci://ghcr.io/org/cns-bundle:1.0.0 -o ./bundle
      cns bundle pull oci://localhost:5000/cns/bundle@sha256:... --plain-http -o b.zip
    """
    from ..oci import pull_bundle

    ref = parse_reference(reference, default=default_tag(__version__))
    if is_oci(output):
        raise InvalidRequestError(f"invalid --output {output!r}: pull writes a directory or a .zip")
    destination = Path(output)
    pulled = pull_bundle(ref, make_registry_options(plain_http, insecure_tls, ca_file))
    if destination.suffix.lower() == ".zip":
        write_zip(zip_bytes(pulled.files), destination)
    else:
        write_tree(pulled.files, destination)
    click.echo(
        f"Bundle {pulled.reference.uri} verified and written to {destination} "
        f"({len(pulled.files)} files)"
    )
    for path in pulled.files:
        click.echo(f"  {path}")
