"""``simulacra sensitivity CONFIG --users A B ... [--targets T U ...] -o DIR``: run the same
scenarios against the same target(s) with each simulated-user configuration and report how much
each target metric depends on the simulator (issue #22).

A user (or target) is ``[NAME=]FILE`` — a YAML/JSON mapping merged over CONFIG (users: ``user``,
``models``, ``profiles``, ``profiles_file``, ``validity``; targets: ``target``, ``models``) — or
``[NAME=]model:SPEC``, which sets the ``user`` (or ``target``) model. Every combination is
checked before anything runs; cells whose run directory already exists are resumed."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import click

from simulacra._atomic import write_text_atomic
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError

_USER_KEYS = {"user", "models", "profiles", "profiles_file", "validity"}
_TARGET_KEYS = {"target", "models"}


class _Greedy(click.Option):
    """An option that takes every value up to the next option: ``--users A B C``."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            opt = parser._long_opt.get(name) or parser._short_opt.get(name)
            if opt is None:
                continue
            previous = opt.process

            def process(value: Any, state: Any, previous: Any = previous) -> None:
                values = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    values.append(state.rargs.pop(0))
                previous(tuple(values), state)

            opt.process = process


def _override(spec: str, role: str, allowed: set[str]) -> tuple[str, dict[str, Any]]:
    """``[NAME=]FILE`` or ``[NAME=]model:SPEC`` -> (name, mapping merged over the config)."""
    from simulacra._validation import read_yaml

    name, sep, value = spec.partition("=")
    if not sep:
        name, value = "", spec
    if value.startswith("model:"):
        model = value.removeprefix("model:")
        if not model:
            raise ConfigError(
                f"--{role}s {spec!r}: model: needs a model spec (model:embedded:tiny)"
            )
        return name or model.replace(":", "-").replace("/", "-"), {"models": {role: model}}
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"--{role}s {spec!r}: {value} is neither a file nor model:SPEC")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(
            f"{path}: field {extra[0]!r} cannot be set per {role} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if isinstance(data.get("profiles_file"), str):  # relative to the override file
        data["profiles_file"] = str((path.parent / data["profiles_file"]).resolve())
    return name or path.stem, data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key == "models":
            models = out.setdefault("models", {})
            for role, spec in value.items():
                old = models.get(role)
                if isinstance(spec, str) and isinstance(old, dict):
                    models[role] = {**old, "model": spec}  # keep temperature, max_tokens...
                else:
                    models[role] = spec
        else:
            out[key] = copy.deepcopy(value)
            if key == "profiles_file":
                out.pop("profiles", None)
            if key == "profiles":
                out.pop("profiles_file", None)
    return out


def _cells(
    config: Path, users: tuple[str, ...], targets: tuple[str, ...] | None, limit: int | None
) -> list[tuple[str, str, Any]]:
    from simulacra._validation import read_yaml

    base = read_yaml(config)
    if not isinstance(base, dict):
        raise ConfigError(f"{config}: expected a mapping at the top level")
    if limit is not None:
        if isinstance(base.get("scenarios_from"), dict):
            base["scenarios_from"] = {**base["scenarios_from"], "limit": limit}
        if isinstance(base.get("scenarios"), list):
            base["scenarios"] = base["scenarios"][:limit]
    us = [_override(u, "user", _USER_KEYS) for u in users]
    ts = [_override(t, "target", _TARGET_KEYS) for t in targets] if targets else [("target", {})]
    for kind, named in (("user", us), ("target", ts)):
        names = [n for n, _ in named]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ConfigError(f"--{kind}s: the name {dup!r} is given twice (use NAME=...)")
    if len(us) < 2:
        raise ConfigError("--users: give at least two simulated-user configurations")
    cells = []
    for uname, udata in us:
        for tname, tdata in ts:
            data = _merge(_merge(base, udata), tdata)
            data["name"] = f"{base.get('name', 'run')}-{uname}-{tname}"
            cells.append((uname, tname, _load(config, data, f"{uname}-{tname}")))
    return cells


def _load(config: Path, data: dict[str, Any], cell: str) -> Any:
    """The merged config, read exactly as ``simulacra run`` reads a file (corpus scenarios,
    profiles files, paths relative to CONFIG): written beside CONFIG for the read, then removed."""
    import tempfile

    import yaml

    from simulacra.runs import load_config

    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=config.parent, prefix=f".{config.stem}.{cell}.", suffix=".yaml", delete=False
        ) as f:
            yaml.safe_dump(data, f, sort_keys=False)
    except OSError as exc:
        raise ConfigError(f"{config}: cannot write beside it ({exc.strerror})") from None
    try:
        return load_config(f.name)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (CONFIG {config} with --users/--targets cell {cell})") from None
    finally:
        os.unlink(f.name)


def _run_cell(cfg: Any, config: Path, out: Path) -> Path:
    from simulacra.runs import execute_run

    existing = (
        sorted(p for p in out.glob("*/") if (p / "run.json").exists()) if out.exists() else []
    )
    if existing:
        result = asyncio.run(execute_run(cfg, config_path=config, resume=existing[-1]))
    else:
        result = asyncio.run(execute_run(cfg, config_path=config, output_dir=out))
    return result.directory


def _iv(e: Any) -> str:
    return f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"


@click.command("sensitivity")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--users",
    cls=_Greedy,
    required=True,
    type=click.UNPROCESSED,
    help="Simulated-user configurations: [NAME=]FILE (a YAML mapping of user, models, profiles, "
    "profiles_file, validity) or [NAME=]model:SPEC. At least two.",
)
@click.option(
    "--targets",
    cls=_Greedy,
    type=click.UNPROCESSED,
    help="Targets: [NAME=]FILE (target, models) or [NAME=]model:SPEC (default: CONFIG's target).",
)
@click.option(
    "-o",
    "--output",
    type=OutputPath("folder"),
    required=True,
    help="Folder for the runs and report.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many scenarios.")
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--html", type=OutputPath(), help="Also write an HTML report of the runs.")
def sensitivity_command(
    config: Path,
    users: tuple[str, ...],
    targets: tuple[str, ...] | None,
    output: Path,
    limit: int | None,
    seed: int,
    html: Path | None,
) -> None:
    """Run CONFIG's scenarios with each simulated user in --users (against each of --targets)
    and report every target metric per simulator, its spread and the ranking stability."""
    from simulacra.evaluation._sensitivity import run_metrics, sensitivity_report

    if not config.is_file():
        raise ConfigError(f"config not found: {config}")
    cells = _cells(config, tuple(users), tuple(targets) if targets else None, limit)
    dirs: dict[tuple[str, str], Path] = {}
    for uname, tname, cfg in cells:
        click.echo(f"running {uname} against {tname} ...")
        dirs[uname, tname] = _run_cell(cfg, config, output / "runs" / f"{uname}__{tname}")
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for (uname, tname), d in dirs.items():
        table.setdefault(uname, {})[tname] = run_metrics(d)
    try:
        report = sensitivity_report(table, seed=seed)
    except ValueError as exc:
        raise ConfigError(f"sensitivity: {exc}") from None
    data = {"config": str(config), "runs": {f"{u}__{t}": str(d) for (u, t), d in dirs.items()}}
    data["sensitivity"] = report.to_dict()
    text = json.dumps(data, indent=2) + "\n"
    path = output / "sensitivity.json"
    write_text_atomic(path, text)
    for d in dirs.values():  # beside each run, so that `simulacra report` shows it
        shutil.copyfile(path, d / "sensitivity.json")
    click.echo(
        f"sensitivity: {len(report.simulators)} simulators x {len(report.targets)} target(s), "
        f"{report.items} work items common to all"
    )
    for metric, by_target in report.means.items():
        click.echo(f"  {metric}")
        head = "".join(f"{s:<26}" for s in report.simulators)
        click.echo(f"    {'target':<16} {head}spread [95% CI]")
        for t, row in by_target.items():
            cells_s = "".join(f"{_iv(row[s]):<26}" for s in report.simulators)
            click.echo(f"    {t:<16} {cells_s}{_iv(report.spread[metric][t])}")
        if metric in report.ranking:
            click.echo(
                f"    ranking stability (Kendall tau-b, mean over simulator pairs): "
                f"{_iv(report.ranking[metric])}"
            )
    click.echo(f"report -> {path}")
    if html is not None:
        from simulacra.viewer._report import write_report

        click.echo(f"html -> {write_report(list(dirs.values()), html)}")
