from __future__ import annotations

import textwrap
from pathlib import Path

import click

from simulacra.log import read_conversations, read_manifest


@click.command("show")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--id", "conversation_id", help="Show only this conversation (id prefix).")
@click.option("--reasoning", is_flag=True, help="Also show hidden reasoning.")
@click.option("--width", default=100, show_default=True, help="Wrap width.")
def show_command(run_dir: Path, conversation_id: str | None, reasoning: bool, width: int) -> None:
    """Print the transcripts of a run readably."""
    manifest = read_manifest(run_dir)
    click.echo(f"run {manifest.name} ({manifest.status}) — {run_dir}")
    shown = 0
    for c in read_conversations(run_dir):
        if conversation_id and not c.id.startswith(conversation_id):
            continue
        shown += 1
        names = {p.id: p.name for p in c.participants}
        click.echo("")
        click.echo(click.style(f"═══ {c.id}  scenario={c.scenario_id}  {c.metadata}", bold=True))
        for t in c.turns:
            label = f"{names.get(t.speaker, t.speaker)}: "
            indent = " " * len(label)
            for i, paragraph in enumerate((t.utterance or "(empty)").splitlines() or [""]):
                click.echo(
                    textwrap.fill(
                        paragraph,
                        width=width,
                        initial_indent=label if i == 0 else indent,
                        subsequent_indent=indent,
                    )
                    or indent
                )
            if reasoning and t.reasoning:
                click.echo(click.style(f"    (thinking: {t.reasoning})", dim=True))
        ended = f"─── ended: {c.termination}"
        if c.error:
            ended += f" ({c.error})"
        click.echo(ended)
    if conversation_id and shown == 0:
        raise click.ClickException(f"no conversation id starts with {conversation_id!r}")
