"""Issue 18 item 14: the README's CLI section lists every command the CLI has, so a new command cannot ship
undocumented (the list is taken from the command tree itself, not typed here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from creditmemo.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands(group: Any, prefix: str) -> list[str]:
    # Typer ships its own copy of click, so a group is known by its sub-commands, not by click's class.
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
        else:
            found.append(path)
    return found


def test_every_cli_command_is_in_the_readme() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root, "creditmemo")
    assert "creditmemo payment record" in commands  # the walk reaches nested groups
    text = README.read_text()
    missing = [c for c in commands if f"{c} " not in text and f"{c}\n" not in text]
    assert missing == []
