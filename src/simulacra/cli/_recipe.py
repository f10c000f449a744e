"""``simulacra recipe NAME``: the application recipes of ``docs/recipes.md``, each writing
``conversations.jsonl`` and ``report.json`` into its output folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError

_MODEL = "embedded:default"


def _model(spec: str, role: str, max_tokens: int, temperature: float) -> Any:
    from simulacra.recipes._common import build_model

    return build_model(spec, role=role, max_tokens=max_tokens, temperature=temperature)


def _estimate(e: dict[str, Any] | None) -> str:
    if not e or not e["n"]:
        return "n=0"
    return f"{e['value']:.2f} [{e['low']:.2f}, {e['high']:.2f}] ({e['successes']}/{e['n']})"


def _write(out: Path, conversations: Any, report: dict[str, Any]) -> None:
    from simulacra.recipes._common import write_outputs

    path = write_outputs(out, conversations, report)
    click.echo(f"report: {path}\ntranscripts: {out / 'conversations.jsonl'}")


@click.group("recipe")
def recipe_command() -> None:
    """Application recipes: recommendation, education, themes (focus groups), debate, video QA."""


@recipe_command.command("recommendation")
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    required=True,
    help="The moviebot-usersimcrs folder (or its annotated_dialogues.json).",
)
@click.option("--model", "model_spec", default=_MODEL, show_default=True, help="User model.")
@click.option(
    "--target",
    type=click.Choice(["rule", "model"]),
    default="rule",
    show_default=True,
    help="The recommender under test: rule based, or a chat model with the catalogue.",
)
@click.option("--target-model", help="Model of --target model (default: --model).")
@click.option("-n", "limit", type=int, help="At most this many users.")
@click.option("--max-turns", default=8, show_default=True)
@click.option("--max-tokens", default=48, show_default=True)
@click.option("-o", "--output", type=OutputPath("folder"), required=True, help="Folder.")
def recommendation_cmd(
    data: Path,
    model_spec: str,
    target: str,
    target_model: str | None,
    limit: int | None,
    max_turns: int,
    max_tokens: int,
    output: Path,
) -> None:
    """Simulated MovieBot users with real preferences against a recommender."""
    from simulacra.datasets._moviebot_prefs import moviebot_catalogue
    from simulacra.recipes import model_recommender, run_recommendation

    user = _model(model_spec, "user", max_tokens, 0.7)
    system = None
    if target == "model":
        model = _model(target_model or model_spec, "target", max_tokens + 32, 0.3)
        system = model_recommender(model, [m for m in moviebot_catalogue(data) if m.genres])
    conversations, report = asyncio.run(
        run_recommendation(data, user_model=user, target=system, limit=limit, max_turns=max_turns)
    )
    click.echo(
        f"success: {_estimate(report['success'])}; "
        f"real MovieBot acceptance: {_estimate(report['real_acceptance'])}"
    )
    _write(output, conversations, report)


@recipe_command.command("education")
@click.argument("misconceptions", type=click.Path(path_type=Path))
@click.option("--model", "model_spec", default=_MODEL, show_default=True, help="Student model.")
@click.option("--tutor-model", help="The tutor under test (default: --model).")
@click.option("--judge", "judge_spec", help="Judge model (default: --model).")
@click.option("--no-judge", is_flag=True, help="Only the keyword rule.")
@click.option("--students", default=1, show_default=True, help="Students per misconception.")
@click.option("--max-turns", default=4, show_default=True)
@click.option("--max-tokens", default=60, show_default=True)
@click.option("-o", "--output", type=OutputPath("folder"), required=True, help="Folder.")
def education_cmd(
    misconceptions: Path,
    model_spec: str,
    tutor_model: str | None,
    judge_spec: str | None,
    no_judge: bool,
    students: int,
    max_turns: int,
    max_tokens: int,
    output: Path,
) -> None:
    """Students with misconceptions and a tutor; which misconceptions were corrected."""
    from simulacra.recipes import load_misconceptions, run_education

    data = load_misconceptions(misconceptions)
    student = _model(model_spec, "user", max_tokens, 0.7)
    tutor = _model(tutor_model or model_spec, "target", max_tokens + 40, 0.3)
    judge = None if no_judge else _model(judge_spec or model_spec, "judge", 120, 0.0)
    conversations, report = asyncio.run(
        run_education(
            data,
            student_model=student,
            tutor_model=tutor,
            judge_model=judge,
            students=students,
            max_turns=max_turns,
        )
    )
    for row in report["misconceptions"]:
        click.echo(
            f"{row['misconception']}: rule {_estimate(row['corrected_rule'])}; "
            f"judge {_estimate(row['corrected_judge'])}"
        )
    _write(output, conversations, report)


@recipe_command.command("themes")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--judge", "judge_spec", help="Also ask this model for themes (one call each).")
@click.option("--product", help="What the group discussed (for the model's prompt).")
@click.option("-o", "--output", type=OutputPath(), help="Write the report here.")
def themes_cmd(
    run_dir: Path, judge_spec: str | None, product: str | None, output: Path | None
) -> None:
    """Themes of the focus groups (group chats) of a run: keyword clusters (+ a model's)."""
    from simulacra._atomic import write_text_atomic
    from simulacra.recipes import focus_group_report, judge_themes
    from simulacra.runs import read_conversations

    if not (run_dir / "conversations.jsonl").is_file():
        raise ConfigError(f"{run_dir}: not a run directory (no conversations.jsonl)")
    conversations = list(read_conversations(run_dir))
    summaries = None
    if judge_spec:
        judge = _model(judge_spec, "judge", 200, 0.0)
        summaries = [asyncio.run(judge_themes(c, judge, product=product)) for c in conversations]
    report = focus_group_report(conversations, summaries)
    for group in report["groups"]:
        click.echo(f"{group['conversation']}: {group['turns']} turns {group['turns_by_speaker']}")
        for t in group["keyword_themes"]:
            click.echo(
                f"  - {', '.join(t['terms'])} ({t['messages']} messages, "
                f"{', '.join(t['participants'])})"
            )
        if group["model_themes"]:
            click.echo(f"  model: {json.dumps(group['model_themes'], ensure_ascii=False)}")
    if output:
        write_text_atomic(
            output, json.dumps(report, indent=2, ensure_ascii=False) + "\n", durable=True
        )
        click.echo(f"report: {output}")


@recipe_command.command("debate")
@click.argument("motions", nargs=-1, required=True)
@click.option("--model", "model_spec", default=_MODEL, show_default=True, help="Debaters.")
@click.option("--judge", "judge_spec", help="Judge model (default: --model).")
@click.option("--rounds", default=1, show_default=True)
@click.option("--no-swap", is_flag=True, help="Only the proponent speaks first.")
@click.option("--max-tokens", default=50, show_default=True)
@click.option("-o", "--output", type=OutputPath("folder"), required=True, help="Folder.")
def debate_cmd(
    motions: tuple[str, ...],
    model_spec: str,
    judge_spec: str | None,
    rounds: int,
    no_swap: bool,
    max_tokens: int,
    output: Path,
) -> None:
    """Judged debates on MOTIONS, both speaking orders: pro and first-speaker win rates."""
    from simulacra.recipes import run_debates

    debater = _model(model_spec, "debater", max_tokens, 0.7)
    judge = _model(judge_spec or model_spec, "judge", 160, 0.0)
    conversations, report = asyncio.run(
        run_debates(list(motions), debater=debater, judge=judge, rounds=rounds, swap=not no_swap)
    )
    click.echo(
        f"{report['debates']} debates, {report['decided']} decided, {report['ties']} ties, "
        f"{report['verdict_errors']} without verdict; pro wins "
        f"{_estimate(report['pro_wins'])}; first speaker wins "
        f"{_estimate(report['first_speaker_wins'])}"
    )
    _write(output, conversations, report)


@recipe_command.command("video-qa")
@click.argument("captions", type=click.Path(path_type=Path))
@click.option(
    "--systems",
    type=click.Path(path_type=Path),
    required=True,
    help="YAML: title, summary, questions, systems (name, sees, model).",
)
@click.option("--model", "model_spec", default=_MODEL, show_default=True, help="Users/systems.")
@click.option("--judge", "judge_spec", help="Judge model (default: --model).")
@click.option("-n", "users", default=3, show_default=True, help="Simulated users.")
@click.option("--turns", default=2, show_default=True, help="Questions per conversation.")
@click.option("--max-tokens", default=60, show_default=True)
@click.option("--resamples", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("-o", "--output", type=OutputPath("folder"), required=True, help="Folder.")
def video_qa_cmd(
    captions: Path,
    systems: Path,
    model_spec: str,
    judge_spec: str | None,
    users: int,
    turns: int,
    max_tokens: int,
    resamples: int,
    output: Path,
) -> None:
    """Users ask about a video (its captions); systems that see more or less of it answer;
    a judge with the captions compares them pairwise; Bradley–Terry and Elo rank them."""
    from simulacra.recipes import load_video_qa, read_captions, run_video_qa, video_qa_table
    from simulacra.recipes._common import build_model

    cues, spec = read_captions(captions), load_video_qa(systems)
    target = _model(model_spec, "target", max_tokens, 0.3)
    per_system = {
        s.name: build_model(s.model, role="target", max_tokens=max_tokens, temperature=0.3)
        for s in spec.systems
        if s.model
    }
    conversations, report = asyncio.run(
        run_video_qa(
            cues,
            spec,
            user_model=_model(model_spec, "user", max_tokens, 0.7),
            target_model=target,
            judge=_model(judge_spec or model_spec, "judge", 120, 0.0),
            system_models=per_system,
            users=users,
            turns=turns,
            resamples=resamples,
        )
    )
    click.echo(video_qa_table(report))
    bias = report.get("position_bias")
    click.echo(
        f"{report['n_battles']} battles ({report['ties']} ties, {report['unanswered']} "
        f"unanswered) over {report['n_keys']} users"
        + (f"; judge flip rate {bias['flip_rate']['value']:.2f}" if bias and bias["n"] else "")
    )
    _write(output, conversations, report)
