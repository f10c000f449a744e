"""``simulacra roleplay check|probe``: role consistency of role-play characters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from pydantic import ValidationError

from simulacra._atomic import write_json_atomic
from simulacra._validation import summarise
from simulacra.cli._paths import OutputPath
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.evaluation import (
    ConsistencyReport,
    ProbeRun,
    check_consistency,
    judge_consistency,
    run_probes,
)
from simulacra.evaluation._consistency import roleplay_speakers
from simulacra.models import GenerateConfig, Model, get_model, parse_model_spec
from simulacra.profiles import RolePlay
from simulacra.profiles._character_file import load_character
from simulacra.runs import read_conversations


def _write_json(record: dict[str, object], output: Path) -> None:
    write_json_atomic(output, record, ensure_ascii=False)


def _summary_line(label: str, report: ConsistencyReport) -> str:
    if report.n == 0:
        return f"{label:<32} {report.n:>5}  {'-':>9}  {'-':<15}  unscored {report.unscored}"
    s = report.share
    rules = ", ".join(f"{k} {v}" for k, v in sorted(report.by_rule().items())) or "-"
    return f"{label:<32} {report.n:>5}  {s.value:>9.1%}  [{s.low:.2f}, {s.high:.2f}]    {rules}"


def _echo_table(rows: list[tuple[str, ConsistencyReport]], *, flagged: int) -> None:
    click.echo(f"{'character':<32} {'turns':>5}  {'in char.':>9}  {'95% CI':<15}  flags")
    for label, report in rows:
        click.echo(_summary_line(label, report))
    shown = 0
    for label, report in rows:
        for t in report.turns:
            if t.flags and shown < flagged:
                shown += 1
                reasons = "; ".join(f"{f.rule}: {f.reason}" for f in t.flags)
                text = t.utterance if len(t.utterance) <= 80 else t.utterance[:77] + "..."
                click.echo(f"  {label} {t.conversation_id}#{t.turn_index}: {text!r} — {reasons}")


@click.group("roleplay")
def roleplay_command() -> None:
    """Role consistency of role-play characters: check a run, probe a character."""


@roleplay_command.command("check")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OutputPath(), help="Write the report (JSON).")
@click.option("--flagged", default=10, show_default=True, help="Flagged turns to print.")
@click.option(
    "--judge",
    "judge_spec",
    help="Ask this model (a spec, e.g. embedded:default) per turn instead of the lexical rules.",
)
def check_command(run_dir: Path, output: Path | None, flagged: int, judge_spec: str | None) -> None:
    """Check every turn of the role-play characters in RUN_DIR (lexical rules, or a judge)."""
    conversations = list(read_conversations(run_dir))
    characters: dict[str, RolePlay] = {}
    owner: dict[tuple[str, str], str] = {}
    for c in conversations:
        for speaker, profile in roleplay_speakers(c).items():
            characters.setdefault(profile.profile_id(), profile)
            owner[(c.id, speaker)] = profile.profile_id()
    if not characters:
        raise ConfigError(
            f"{run_dir / 'conversations.jsonl'}: participants.profile: no role-play participants "
            "(no profile of kind 'roleplay')"
        )
    overall = _judge(conversations, judge_spec) if judge_spec else check_consistency(conversations)
    rows = [
        (
            profile.name,
            ConsistencyReport(
                overall.checker,
                tuple(t for t in overall.turns if owner[(t.conversation_id, t.speaker)] == pid),
            ),
        )
        for pid, profile in characters.items()
    ]
    _echo_table(rows, flagged=flagged)
    if len(rows) > 1:
        click.echo(_summary_line("all", overall))
    if output:
        record: dict[str, object] = {
            "run_dir": str(run_dir),
            "characters": {label: r.to_dict() for label, r in rows},
            "overall": {k: v for k, v in overall.to_dict().items() if k != "turns"},
        }
        _write_json(record, output)
        click.echo(f"wrote {output}")


def _model(option: str, spec: dict[str, object], role: str) -> Model:
    try:
        parse_model_spec(spec)
    except ValidationError as exc:
        raise ConfigError(f"{option}: {summarise(exc)}") from None
    return get_model(spec, role=role)


def _judge(conversations: list[Conversation], spec: str) -> ConsistencyReport:
    model = _model("--judge", {"model": spec, "max_tokens": 120}, "judge")

    async def go() -> ConsistencyReport:
        try:
            return await judge_consistency(conversations, model=model)
        finally:
            await model.aclose()

    return asyncio.run(go())


@roleplay_command.command("probe")
@click.argument("card", type=click.Path(path_type=Path))
@click.option(
    "--model",
    "model_spec",
    default="embedded:default",
    show_default=True,
    help="Model spec: embedded:default|small|tiny, gguf:PATH or openai:NAME.",
)
@click.option("-n", "--limit", default=8, show_default=True, help="Number of probes.")
@click.option(
    "--framing",
    type=click.Choice(["user", "chat"]),
    default="user",
    show_default=True,
    help="user: a PromptedUser with the profile (as in runs); chat: profile as system prompt.",
)
@click.option("--max-tokens", default=60, show_default=True, help="Per answer.")
@click.option("--temperature", default=0.7, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report (JSON).")
def probe_command(
    card: Path,
    model_spec: str,
    limit: int,
    framing: str,
    max_tokens: int,
    temperature: float,
    seed: int,
    output: Path | None,
) -> None:
    """Ask the character in CARD (YAML) about what it cannot know; report the in-character share."""
    profile = load_character(card)
    if limit < 1:
        raise ConfigError(f"--limit: must be at least 1, got {limit}")
    model = _model("--model", {"model": model_spec}, "user")
    config = GenerateConfig(max_tokens=max_tokens, temperature=temperature, seed=seed)

    async def go() -> ProbeRun:
        try:
            return await run_probes(
                profile,
                model=model,
                limit=limit,
                framing="chat" if framing == "chat" else "user",
                config=config,
            )
        finally:
            await model.aclose()

    result = asyncio.run(go())
    _echo_table([(profile.name, result.report)], flagged=limit)
    for error in result.errors:
        click.echo(f"  error: {error}")
    if output:
        record: dict[str, object] = {
            "character": profile.handle,
            "card": str(card),
            "model": model_spec,
            "framing": framing,
            "probes": [
                {"question": p.question, "topic": p.topic, "kind": p.kind} for p in result.probes
            ],
            "errors": list(result.errors),
            **result.report.to_dict(),
        }
        _write_json(record, output)
        click.echo(f"wrote {output}")
