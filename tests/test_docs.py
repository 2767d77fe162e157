"""Documentation that tests check: every command is in docs/cli.md, every doc link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from clearreel.cli import build_app

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands() -> list[str]:
    def walk(cmd, prefix):  # type: ignore[no-untyped-def]
        subs = getattr(cmd, "commands", None)
        if not subs:
            yield " ".join(prefix)
            return
        for name, sub in subs.items():
            yield from walk(sub, [*prefix, name])

    return sorted(walk(typer.main.get_command(build_app()), ["clearreel"]))


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands()
    assert len(commands) > 20
    missing = [c for c in commands if f"`{c}" not in text]
    assert not missing, f"add these commands to docs/cli.md: {missing}"


def test_documented_commands_exist() -> None:
    """No stale row: every command named in the reference table is a real command."""
    text = (DOCS / "cli.md").read_text()
    listed = re.findall(r"^\| `(clearreel [a-z -]+?)(?: \[[A-Z]+\])?` \|", text, flags=re.M)
    assert listed
    assert set(listed) <= set(_commands())


def test_links_between_docs_resolve() -> None:
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([a-z0-9-]+\.md)\)", page.read_text()):
            assert (DOCS / target).exists(), f"{page.name} links to missing {target}"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    head = readme[:400]
    assert "make demo" in head and "make test" in head
