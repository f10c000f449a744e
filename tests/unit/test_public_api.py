from __future__ import annotations

import simulacra
import simulacra.models
import simulacra.testing


def test_public_api_is_pinned() -> None:
    assert sorted(simulacra.__all__) == sorted(
        [
            "SCHEMA_VERSION",
            "CallableTarget",
            "ChatMessage",
            "Conversation",
            "GenerateConfig",
            "GeneralUser",
            "HTTPTarget",
            "Individual",
            "Model",
            "ModelCallRef",
            "ModelTarget",
            "Participant",
            "ParticipantInfo",
            "ParticipantKind",
            "Persona",
            "PromptedUser",
            "Reply",
            "RolePlay",
            "StopConditions",
            "TerminationReason",
            "Turn",
            "View",
            "ViewMessage",
            "__version__",
            "get_model",
            "run_conversation",
        ]
    )
    for module in (simulacra, simulacra.models, simulacra.testing):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_importing_the_package_does_not_load_llama_cpp() -> None:
    import subprocess
    import sys

    code = "import sys, simulacra, simulacra.runs, simulacra.cli; print('llama_cpp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
