"""``pusterum content``: the content files under content/ checked, published and written back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from server.lib.commands import Failure, Group
from server.settings import get_settings

if TYPE_CHECKING:
    from server.content.loader import LoadResult
    from server.content.services import ImportReport

# The folder may be given; otherwise the settings' one (read when the command runs, not at import).
path_argument = click.argument("path", required=False)
PATH_HELP = "PATH: the content folder (default: PUSTERUM_CONTENT_DIR or content/)."


def _load(path: str | None) -> tuple[Path, LoadResult]:
    from server.content.loader import load_content_dir

    root = Path(path) if path else get_settings().content_dir
    return root, load_content_dir(root)


async def import_content(path: str | None = None) -> tuple[int, ImportReport | str]:
    """Publishes the folder's changed files, all or nothing: (0, the report) or (1, why nothing was imported).
    Problems in the files go to standard error first. The tests import the content with it too."""
    from server.content.services import ContentConflict, import_documents

    root, result = _load(path)
    if result.problems:
        for rel, problem in result.problems:
            click.echo(f"{rel}: {problem}", err=True)
        return 1, f"{len(result.problems)} problem(s) in {root}: nothing was imported."
    try:
        report = await import_documents(result.documents)
    except ContentConflict as conflict:
        return 1, f"{conflict}; nothing was imported."
    return 0, report


@click.group(cls=Group, short_help="content files")
def content() -> None:
    """The content files: exercises, courses, resources and questionnaires (content/README.md has the
    format)."""


@content.command(short_help="check every file; list every problem", epilog=PATH_HELP)
@path_argument
def validate(path: str | None) -> None:
    """Check every content file and print each problem as `file: field: reason`; exit 1 on any. Nothing is
    changed."""
    root, result = _load(path)
    for rel, problem in result.problems:
        click.echo(f"{rel}: {problem}")
    if result.problems:
        raise Failure(f"{len(result.problems)} problem(s) in {root}; nothing was changed.")
    click.echo(f"All {len(result.documents)} content files in {root} are valid.")


@content.command("import", short_help="publish changed files (all or nothing)", epilog=PATH_HELP)
@path_argument
def import_(path: str | None) -> None:
    """Publish changed files as new immutable versions, all or nothing; unchanged files change nothing."""
    status, outcome = asyncio.run(import_content(path))
    if status or isinstance(outcome, str):
        raise Failure(str(outcome))
    awaiting = (f" ({len(outcome.awaiting)} awaiting review, not published: {', '.join(outcome.awaiting)})"
                if outcome.awaiting else "")
    click.echo(f"Content imported: {len(outcome.created)} new, {len(outcome.updated)} new version(s), "
               f"{outcome.unchanged} unchanged{awaiting}.")


@content.command(short_help="write every published document back to files", epilog=PATH_HELP)
@path_argument
def export(path: str | None) -> None:
    """Write every published exercise, course and resource back to files that `content import` reads as
    unchanged. Files already holding the published data, and files of unpublished slugs, are left alone;
    audio is copied when PATH is another folder."""
    from server.content.export import ExportError, export_content

    root = Path(path) if path else get_settings().content_dir
    try:
        report = asyncio.run(export_content(root))
    except (ExportError, OSError) as exc:
        raise Failure(f"could not export to {root}: {exc}") from exc
    for name in report.audio_missing:
        click.echo(f"pusterum: warning: audio/{name} is named by published content but exists neither in "
                   f"{get_settings().content_dir / 'audio'} nor in {root / 'audio'}", err=True)
    click.echo(report.summary())


@content.command(short_help="print the recording script of exercises (content/RECORDING.md)")
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True,
              help="the language to record")
@click.option("--from", "path", metavar="PATH", help="the content folder (default: PUSTERUM_CONTENT_DIR or content/)")
def script(slugs: tuple[str, ...], lang: str, path: str | None) -> None:
    """Print, for each exercise named (every exercise when none is), what to say in each step, when it starts,
    and how long to leave quiet, from the content files; nothing is changed."""
    from server.content.recording import script as recording_script
    from server.content.schemas import Exercise

    root, result = _load(path)
    exercises = {d.slug: d.content for d in result.documents if isinstance(d.content, Exercise)}
    unknown = [slug for slug in slugs if slug not in exercises]
    if unknown:
        raise Failure(f"no exercise {', '.join(unknown)} in {root}.")
    chosen = slugs or tuple(sorted(exercises))
    click.echo("\n".join(recording_script(exercises[slug], lang) for slug in chosen), nl=False)
