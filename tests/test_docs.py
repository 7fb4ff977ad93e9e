"""The README documents every setting and every command option (a test, so it stays true)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from app.cli import cli
from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_documents_every_setting() -> None:
    missing = [
        f"OPENSPACE_{name.upper()}"
        for name in Settings.model_fields
        if f"OPENSPACE_{name.upper()}" not in README
    ]
    assert missing == []


def test_readme_documents_every_command_and_option() -> None:
    commands = typer.main.get_command(cli).commands  # type: ignore[attr-defined]
    assert len(commands) >= 5
    missing = []
    for name, command in commands.items():
        if f"openspace {name}" not in README:
            missing.append(f"openspace {name}")
        for parameter in command.params:
            for option in getattr(parameter, "opts", []):
                if option.startswith("--") and option not in README:
                    missing.append(f"openspace {name} {option}")
    assert missing == []


def test_readme_starts_with_the_two_commands() -> None:
    top = "\n".join(README.splitlines()[:40])
    assert "make run" in top
    assert "make test" in top
