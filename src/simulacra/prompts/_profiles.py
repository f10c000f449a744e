"""Profiles into prompt text, through their versioned templates, and the sentinel a simulated
user's prompt tells it to write when it is done."""

from __future__ import annotations

from simulacra.profiles import Hybrid, Profile
from simulacra.prompts._templates import get_template

__all__ = ["STOP_SENTINEL", "render_profile"]

STOP_SENTINEL = "###STOP###"
"""What a simulated user writes to end the conversation (its prompts name it)."""

_SECTION_TITLES = {
    "persona": "Who you are",
    "roleplay": "The character you play",
    "individual": "Your own life and history",
}


def render_profile(profile: Profile) -> tuple[str, str]:
    """Render a profile with its template; returns ``(text, template_ref)``.

    A :class:`~simulacra.profiles.Hybrid` renders each part with the part's own template, in
    precedence order, inside ``profile/hybrid``; its ref lists every template used, highest
    precedence first (``profile/hybrid@1+profile/roleplay@2+profile/persona@3``).
    """
    template = get_template(profile.template)
    if not isinstance(profile, Hybrid):
        return template.render(p=profile), template.ref
    refs = [template.ref]
    sections = []
    for part in profile.ordered_parts():
        text, ref = render_profile(part)
        refs.append(ref)
        sections.append({"kind": part.kind, "title": _SECTION_TITLES[part.kind], "text": text})
    return template.render(p=profile, sections=sections), "+".join(refs)
