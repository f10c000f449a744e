"""``simulacra report RUN_DIR... -o report.html``: a self-contained HTML report of runs."""

from __future__ import annotations

from pathlib import Path

import click

from simulacra.cli._paths import OutputPath


@click.command("report")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=OutputPath(),
    default=Path("report.html"),
    show_default=True,
    help="Where to write the HTML file.",
)
@click.option(
    "--reference",
    help="Real users to compare turn lengths with, KIND:PATH (multiwoz:/data/val.json.zip).",
)
@click.option("--reference-limit", default=1000, show_default=True, help="Real dialogues read.")
@click.option("--sample", default=2, show_default=True, help="Transcripts shown per run.")
@click.option("--seed", default=0, show_default=True, help="Seed of the transcript sample.")
@click.option("--title", help="Title of the report.")
def report_command(
    run_dirs: tuple[Path, ...],
    output: Path,
    reference: str | None,
    reference_limit: int,
    sample: int,
    seed: int,
    title: str | None,
) -> None:
    """Write one HTML file (inline CSS and SVG, no scripts, no external requests) with the
    outcomes, scores with intervals, turn lengths, drift curves and a transcript sample of
    RUN_DIRS, reading any judgments.jsonl and report JSON files beside each run."""
    from simulacra.viewer._report import write_report

    path = write_report(
        run_dirs,
        output,
        reference=reference,
        reference_limit=reference_limit,
        sample=sample,
        seed=seed,
        title=title,
    )
    click.echo(f"report -> {path}")
