from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulacra._signals import EXIT_CODES, signal_word
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError, OutputError
from simulacra.runs import (
    RunConfig,
    RunControl,
    RunResult,
    count_items,
    execute_run,
    load_config,
)
from simulacra.runs._engine import RunStats
from simulacra.runs._store import current_run_directory

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _resume_command(config: Path, directory: Path) -> str:
    return f"simulacra run {shlex.quote(str(config))} --resume {shlex.quote(str(directory))}"


def _check_base_urls(cfg: RunConfig, config: Path) -> None:
    """An ``openai:`` model with no ``base_url`` (and no OPENAI_BASE_URL) is a config error
    naming the file and the field, before anything is built or written."""
    for role, spec in cfg.models.items():
        if spec.model.startswith("openai:") and not (
            spec.base_url or os.environ.get("OPENAI_BASE_URL")
        ):
            raise ConfigError(
                f"{config}: models.{role}.base_url: not set (give it, or set OPENAI_BASE_URL)"
            )


def _exit_code(signals: list[int]) -> int:
    """130 after Ctrl-C, 143 after SIGTERM (the first signal received)."""
    return EXIT_CODES[signals[0]] if signals else EXIT_CODES[signal.SIGINT]


@click.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--output-dir", "-o", type=click.Path(path_type=Path), help="Where run directories go."
)
@click.option(
    "--resume",
    type=click.Path(path_type=Path),
    help="Continue this run directory: finished conversations are skipped.",
)
@click.option("--force", is_flag=True, help="With --resume: accept a changed config.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the run directory.")
def run_command(
    config: Path, output_dir: Path | None, resume: Path | None, force: bool, quiet: bool
) -> None:
    """Run the simulations described by a YAML CONFIG.

    Ctrl-C or SIGTERM stops gracefully (in-flight conversations finish; a second signal
    aborts them); the printed --resume command continues where the run stopped. Exit code 130
    after Ctrl-C, 143 after SIGTERM.
    """
    cfg = load_config(config)
    _check_base_urls(cfg, config)
    total = count_items(cfg)
    console = Console(stderr=True)
    control = RunControl()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )
    task = progress.add_task(cfg.name, total=total, detail="")

    clock = {"start": time.perf_counter()}

    def on_progress(stats: RunStats, in_flight: int) -> None:
        # Started on the first report, so validation errors print alone on one line.
        if not progress.live.is_started:
            progress.start()
        progress.update(
            task,
            completed=stats.conversations,
            detail=(
                f"in flight {in_flight}  failed {stats.errors}  "
                f"{stats.tokens / max(1e-9, time.perf_counter() - clock['start']):,.0f} tok/s"
            ),
        )

    def on_conversation(c: Conversation) -> None:
        if c.error and not quiet:
            progress.console.print(f"  {c.id} {c.scenario_id}: {c.termination} ({c.error})")

    signals: list[int] = []  # the signals received, first one decides the exit code
    aborted: list[Path] = []  # the run directory, when a second signal (or a full disk) ended it

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()

        def on_signal(signum: int) -> None:
            signals.append(signum)
            if not control.stopping:
                control.stop("interrupted")
                name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
                console.print(
                    f"{name}: stopping; in-flight conversations finish ({name} again aborts them)"
                )
            elif current is not None:
                current.cancel()

        previous = {signum: signal.getsignal(signum) for signum in _STOP_SIGNALS}
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await execute_run(
                cfg,
                config_path=config,
                output_dir=output_dir,
                resume=resume,
                force=force,
                control=control,
                on_conversation=on_conversation,
                on_progress=on_progress,
            )
        except (asyncio.CancelledError, OutputError):
            directory = current_run_directory() or resume
            if directory is not None:
                aborted.append(directory)
            raise
        finally:
            for signum in _STOP_SIGNALS:
                loop.remove_signal_handler(signum)
                if previous[signum] is not None:  # asyncio leaves SIG_DFL; put back the CLI's
                    signal.signal(signum, previous[signum])

    try:
        result = asyncio.run(main())
    except ConfigError as exc:  # a field the runner checks late (an endpoint down): name the file
        message = str(exc)
        if message.startswith(("models.", "target.")):
            raise ConfigError(f"{config}: {message}") from None
        raise
    except OutputError as exc:  # disk full: what was written stays; the run resumes
        hint = f"; resume with: {_resume_command(config, aborted[0])}" if aborted else ""
        line = f"simulacra: error: {exc}; written conversations are kept{hint}"
        click.echo(line if len(line) <= 300 else f"simulacra: error: {exc}"[:297] + "...", err=True)
        sys.exit(1)
    except asyncio.CancelledError:
        resume_hint = f"; resume with: {_resume_command(config, aborted[0])}" if aborted else ""
        click.echo(
            f"simulacra: aborted; in-flight conversations were not saved{resume_hint}", err=True
        )
        sys.exit(_exit_code(signals))
    finally:
        if progress.live.is_started:
            progress.stop()
    s = result.summary
    resume_cmd = _resume_command(config, result.directory)
    if quiet:
        click.echo(str(result.directory))
    else:
        click.echo(f"run directory: {result.directory}")
        click.echo(f"transcripts:   {result.directory / 'conversations.jsonl'}")
        click.echo(
            f"summary: {s['conversations']} conversations, {s['turns']} turns "
            f"(mean {s['mean_turns']}), ended by {s['termination']}, {s['wall_s']} s"
        )
        sim = s.get("simulator")
        if sim:
            click.echo(
                f"simulator:     {sim['invalid']} of {sim['gated']} conversations flagged "
                f"simulator_invalid (kept, left out of target metrics), "
                f"{sim['regenerations']} user turns regenerated by the validity gate"
            )
        for role, stats in s["models"].items():
            extra = f", {stats['cache_hits']} cached" if stats.get("cache_hits") else ""
            extra += f", {stats['retries']} retries" if stats.get("retries") else ""
            extra += f", cost {stats['cost']}" if "cost" in stats else ""
            click.echo(
                f"  {role}: {stats['model']}: {stats['calls']} calls{extra}, "
                f"{stats['prompt_tokens']} prompt + {stats['completion_tokens']} completion tokens"
            )
        if "cost" in s:
            click.echo(f"cost:          {s['cost']} (every process of this run)")
        click.echo(f"read them with: simulacra show {result.directory}")
    if result.status == "interrupted":
        word = signal_word(signals[0]) if signals else "interrupted"
        click.echo(f"simulacra: {word}; resume with: {resume_cmd}", err=True)
        sys.exit(_exit_code(signals))
    if result.status == "complete_with_errors":
        failed = sum(
            s["termination"].get(k, 0) for k in ("simulator_error", "infrastructure_error")
        )
        click.echo(
            f"simulacra: WARNING: {failed} of {s['conversations']} conversations ended by "
            "simulator/infrastructure errors (run.json status: complete_with_errors); see "
            "their 'error' fields, fix the cause, and rerun; set execution.fail_on_error to "
            "stop such runs early",
            err=True,
        )
        sys.exit(1)
    if result.status == "failed":
        click.echo(
            f"simulacra: run stopped ({s.get('stopped_because')}); resume with: {resume_cmd}",
            err=True,
        )
        sys.exit(1)
