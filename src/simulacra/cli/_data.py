"""``simulacra data``: import real corpora, describe them, export training data, write cards.

Everything is read and checked before anything is written; outputs are written to a temporary
file or folder and renamed into place, so bad input leaves nothing half-written.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError


@click.group("data")
def data_command() -> None:
    """Real corpora in (import, stats), training data out (export, card)."""


def _options(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option: expected KEY=VALUE, got {pair!r}")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _write_run_dir(output: Path, manifest: dict[str, Any], lines: list[str]) -> None:
    """A run directory (``run.json`` + ``conversations.jsonl``), built aside and renamed."""
    from simulacra.runs import RUN_SCHEMA_VERSION

    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise ConfigError(f"{output}: exists and is not empty; choose another -o")
    tmp = output.with_name(f".{output.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        (tmp / "conversations.jsonl").write_text("".join(lines), encoding="utf-8")
        record = {"schema_version": RUN_SCHEMA_VERSION, **manifest}
        (tmp / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if output.exists():
            output.rmdir()
        os.replace(tmp, output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@data_command.command("import")
@click.argument("kind")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=OutputPath("either"),
    required=True,
    help="A .jsonl file, or a folder to create as a run directory (run.json + conversations).",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many conversations.")
@click.option("--mapping", type=click.Path(path_type=Path), help="generic: the field mapping YAML.")
@click.option(
    "--option",
    "option_pairs",
    multiple=True,
    help="Adapter option KEY=VALUE (user_agent=agent_2, user_role=persuader, split=dev, ...).",
)
def import_command(
    kind: str,
    path: Path,
    output: Path,
    limit: int | None,
    mapping: Path | None,
    option_pairs: tuple[str, ...],
) -> None:
    """Read a corpus of KIND from its original file(s) at PATH into Simulacra conversations.

    KIND: multiwoz21, taskmaster, abcd, casino, persuasionforgood, topical-chat, moviebot,
    generic.
    """
    from simulacra import __version__
    from simulacra.datasets._adapters import ADAPTERS, import_corpus
    from simulacra.runs._engine import RunStats

    options: dict[str, Any] = _options(option_pairs)
    if mapping is not None:
        options["mapping"] = mapping
    if "domains" in options:
        options["domains"] = [d for d in str(options["domains"]).split(",") if d]
    convs = list(import_corpus(kind, path, limit=limit, **options))
    if not convs:
        raise ConfigError(f"{path}: no conversations (the selection is empty)")
    lines = [c.model_dump_json() + "\n" for c in convs]
    stats = RunStats()
    for c in convs:
        stats.add(c)
    if output.suffix == ".jsonl":
        from simulacra.datasets._export import write_jsonl

        write_jsonl((json.loads(line) for line in lines), output)
    else:
        info = ADAPTERS[kind].info
        first = convs[0].metadata
        manifest = {
            "name": output.name,
            "kind": "import",
            "status": "complete",
            "created_at": time.time(),
            "import": {
                "corpus": kind,
                "path": str(path),
                "options": {k: str(v) for k, v in options.items()},
                "limit": limit,
                "user": ADAPTERS[kind].user,
            },
            "provenance": {
                "source": info.source if info else first.get("provenance.source"),
                "licence": info.licence if info else first.get("provenance.licence"),
                "citation": info.citation if info else first.get("provenance.citation"),
                "real": True,
            },
            "versions": {"simulacra": __version__},
            "seed": None,
            "summary": {
                "conversations": stats.conversations,
                "turns": stats.turns,
                "mean_turns": round(stats.turns / stats.conversations, 2),
                "termination": dict(sorted(stats.termination.items())),
                "errors": 0,
            },
        }
        _write_run_dir(output, manifest, lines)
    click.echo(f"imported {len(convs)} {kind} conversations ({stats.turns} turns) -> {output}")


def _print_estimate(name: str, e: dict[str, Any]) -> None:
    click.echo(f"  {name:<26} {e['value']:.2f} [{e['low']:.2f}, {e['high']:.2f}] (n={e['n']})")


@data_command.command("stats")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--user", help="The user's participant id (default: the recorded convention).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats_command(path: Path, user: str | None, as_json: bool) -> None:
    """Dialogues, turns, per-side turn lengths (95% CIs), speakers and provenance of PATH (a run
    directory or a conversations JSONL)."""
    from simulacra.datasets._card import corpus_stats
    from simulacra.datasets._source import load_source

    source = load_source(path)
    stats = corpus_stats(source.conversations, user=user, manifest=source.manifest)
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(
        f"{path}: {stats['dialogues']} dialogues, {stats['turns']} turns "
        f"({stats['user_turns']} user, {stats['system_turns']} system)"
    )
    _print_estimate("turns per dialogue", stats["turns_per_dialogue"])
    _print_estimate("user words per turn", stats["user_turn_words"])
    _print_estimate("system words per turn", stats["system_turn_words"])
    click.echo("  speakers: " + ", ".join(f"{k} {v}" for k, v in stats["speakers"].items()))
    for p in stats["provenance"]:
        kind = "real" if p["real"] else "synthetic"
        click.echo(f"  source: {p['source']} ({kind}; licence {p['licence']}): {p['dialogues']}")


def _sources(paths: Sequence[Path]) -> list[Any]:
    from simulacra.datasets._source import load_source, stamp_provenance

    sources = [load_source(p) for p in paths]
    seen: set[str] = set()
    clash = False
    for s in sources:
        stamp_provenance(s)
        ids = {c.id for c in s.conversations}
        clash = clash or bool(ids & seen)
        seen |= ids
    if clash:  # several runs of one config share work-item ids: keep them apart
        for s in sources:
            for c in s.conversations:
                c.id = f"{s.path.name}/{c.id}"
    return sources


def _scores(sources: Sequence[Any], judgments: Sequence[Path], **pick: Any) -> Any:
    from simulacra.datasets._pairs import Scores, read_judgments

    scores = Scores()
    prefixed = any("/" in c.id for s in sources for c in s.conversations)
    for s in sources:
        path = s.path / "judgments.jsonl" if s.path.is_dir() else None
        if path is not None and path.is_file():
            own = read_judgments(path, **pick)
            if prefixed:
                own.turns = {(f"{s.path.name}/{c}", i): v for (c, i), v in own.turns.items()}
                own.dialogues = {f"{s.path.name}/{c}": v for c, v in own.dialogues.items()}
            scores.update(own)
    for path in judgments:
        scores.update(read_judgments(path, **pick))
    if not scores.turns and not scores.dialogues:
        raise ConfigError(
            "dpo: no verdicts (no judgments.jsonl in the run directories; pass --judgments, "
            "written by `simulacra eval RUN --side user --judge ...`)"
        )
    return scores


@data_command.command("export")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["chat", "dpo", "hf"]), required=True)
@click.option("-o", "--output", type=OutputPath("either"), required=True)
@click.option("--per-turn", is_flag=True, help="chat/hf: one prompt/completion row per user turn.")
@click.option(
    "--rows",
    type=click.Choice(["chat", "dpo"]),
    default="chat",
    show_default=True,
    help="hf: which rows to save.",
)
@click.option("--no-merge", is_flag=True, help="Keep consecutive turns of one side apart.")
@click.option("--user", help="The user's participant id (default: the recorded convention).")
@click.option("--limit", type=click.IntRange(min=1), help="Use at most this many conversations.")
@click.option(
    "--judgments",
    multiple=True,
    type=click.Path(path_type=Path),
    help="dpo: verdict files (default: each run's judgments.jsonl).",
)
@click.option("--judge", help="dpo: use this judge's verdicts.")
@click.option("--rubric", help="dpo: use this rubric's verdicts (rubric/<id>@<version>).")
@click.option("--dimension", help="dpo: score by this dimension (default: mean of dimensions).")
@click.option("--margin", type=float, default=1.0, show_default=True, help="dpo: minimum margin.")
@click.option("--level", type=click.Choice(["turn", "segment"]), default="turn", show_default=True)
@click.option(
    "--pairing", type=click.Choice(["best_worst", "all"]), default="best_worst", show_default=True
)
@click.option("--segment-turns", type=click.IntRange(min=1), default=1, show_default=True)
def export_command(
    sources: tuple[Path, ...],
    fmt: str,
    output: Path,
    per_turn: bool,
    rows: str,
    no_merge: bool,
    user: str | None,
    limit: int | None,
    judgments: tuple[Path, ...],
    judge: str | None,
    rubric: str | None,
    dimension: str | None,
    margin: float,
    level: str,
    pairing: str,
    segment_turns: int,
) -> None:
    """Export SOURCES (run directories or conversations JSONL) as training data from the
    simulated user's perspective: chat messages (SFT), DPO pairs, or a Hugging Face dataset."""
    from simulacra.datasets._export import chat_examples, save_hf_dataset, write_jsonl
    from simulacra.datasets._pairs import Pairing, segment_pairs, turn_pairs

    loaded = _sources(sources)
    if not any(s.conversations for s in loaded):
        raise ConfigError(f"{loaded[0].path}: no conversations (nothing to export)")
    if limit is not None:
        for s in loaded:
            s.conversations = s.conversations[:limit]
    out: list[dict[str, Any]] = []
    if fmt == "dpo" or (fmt == "hf" and rows == "dpo"):
        scores = _scores(loaded, judgments, judge=judge, rubric=rubric, dimension=dimension)
        convs = [c for s in loaded for c in s.conversations]
        scenarios = {k: v for s in loaded for k, v in s.scenarios.items()}
        if level == "turn":
            out = turn_pairs(
                convs,
                scores,
                margin=margin,
                pairing=cast(Pairing, pairing),
                user=user,
                scenarios=scenarios,
            )
        else:
            out = segment_pairs(
                convs,
                scores,
                margin=margin,
                segment_turns=segment_turns,
                user=user,
                scenarios=scenarios,
            )
        if not out:
            raise ConfigError(
                f"dpo: no pair with a margin >= {margin} ({len(convs)} conversations, "
                f"{len(scores.turns)} turn and {len(scores.dialogues)} dialogue verdicts)"
            )
    else:
        for s in loaded:
            out.extend(
                chat_examples(
                    s.conversations,
                    user=user,
                    per_turn=per_turn,
                    merge=not no_merge,
                    scenarios=s.scenarios,
                )
            )
    if fmt == "hf":
        from simulacra.datasets._card import dataset_card

        kind = "dpo" if rows == "dpo" else ("per-turn" if per_turn else "chat")
        card = dataset_card(
            loaded,
            title=output.name,
            user=user,
            export={"format": f"hf ({kind})", "rows": len(out)},
        )
        try:
            import datasets

            datasets.disable_progress_bars()
        except ImportError:
            pass  # save_hf_dataset names the extra
        count = save_hf_dataset(out, output, card=card)
    else:
        count = write_jsonl(out, output)
    click.echo(f"wrote {count} {fmt} rows -> {output}")


@data_command.command("card")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OutputPath(), required=True, help="README.md")
@click.option("--title", help="The dataset's name (default: the output folder's name).")
@click.option(
    "--export",
    "export_file",
    type=click.Path(path_type=Path),
    help="The exported file the card describes (its rows are counted).",
)
@click.option("--user", help="The user's participant id (default: the recorded convention).")
def card_command(
    sources: tuple[Path, ...],
    output: Path,
    title: str | None,
    export_file: Path | None,
    user: str | None,
) -> None:
    """Write a dataset card (README.md with a YAML header) for SOURCES: real or synthetic,
    sources, licences, citations, models, prompt templates, seeds and counts."""
    from simulacra.datasets._card import dataset_card

    loaded = _sources(sources)
    export: dict[str, Any] | None = None
    if export_file is not None:
        try:
            lines = [x for x in export_file.read_text(encoding="utf-8").splitlines() if x.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{export_file}: cannot read the export ({exc})") from None
        first = json.loads(lines[0]) if lines else {}
        export = {
            "file": export_file.name,
            "rows": len(lines),
            "format": (first.get("meta") or {}).get("format", "unknown"),
        }
    name = title or (output.parent.name if output.name == "README.md" else output.stem)
    text = dataset_card(loaded, title=name or "dataset", export=export, user=user)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    click.echo(f"wrote the dataset card -> {output}")
