"""`openspace export` and `openspace import` on SQLite files, and their error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli

runner = CliRunner()


def _env(folder: Path) -> dict[str, str | None]:
    return {
        "OPENSPACE_DATA_DIR": str(folder),
        "OPENSPACE_DATABASE_URL": None,
        "OPENSPACE_SECRET_KEY": None,
        "OPENSPACE_ENVIRONMENT": "development",
        "COLUMNS": "200",
    }


def _run(args: list[str], folder: Path) -> Result:
    return runner.invoke(cli, args, env=_env(folder))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the demo event (slug "demo"), made once for this module."""
    folder = tmp_path_factory.mktemp("cli")
    assert _run(["migrate"], folder).exit_code == 0
    assert _run(["demo"], folder).exit_code == 0
    return folder


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("html", b"<!doctype html>"),
        ("pdf", b"%PDF-"),
        ("docx", b"PK"),
        ("md", b"# Laboratory for Cooperation"),
        # The full archive says what it is before anything else.
        ("json", b'{\n "notice": "Full archive for the event\'s organisers: holds personal data'),
        ("csv", b"PK"),
    ],
)
def test_export_writes_every_format(demo: Path, tmp_path: Path, fmt: str, start: bytes) -> None:
    target = tmp_path / f"out.{fmt}"
    result = _run(["export", "demo", "--format", fmt, "-o", str(target)], demo)
    assert result.exit_code == 0, result.output
    content = target.read_bytes()
    assert content.startswith(start)
    assert result.output == f"Wrote {target} ({len(content):,} bytes).\n"


def test_export_in_the_language_asked_for(demo: Path, tmp_path: Path) -> None:
    default = tmp_path / "default.md"
    english = tmp_path / "english.md"
    assert _run(["export", "demo", "-f", "md", "-o", str(default)], demo).exit_code == 0
    result = _run(["export", "demo", "-f", "md", "--lang", "en", "-o", str(english)], demo)
    assert result.output == f"Wrote {english} ({english.stat().st_size:,} bytes).\n"
    # The demo event speaks Bulgarian first: its report is in Bulgarian unless asked.
    assert ("Основни данни" in default.read_text(), "Key figures" in default.read_text()) == (
        True,
        False,
    )
    assert ("Key figures" in english.read_text(), "Основни данни" in english.read_text()) == (
        True,
        False,
    )


@pytest.mark.parametrize("langs", [["--lang", "all"], ["-l", "bg", "--lang", "en", "-l", "bg"]])
def test_export_several_languages_each_to_its_own_file(
    demo: Path, tmp_path: Path, langs: list[str]
) -> None:
    result = _run(["export", "demo", "-f", "md", *langs, "-o", str(tmp_path / "out.md")], demo)
    assert result.exit_code == 0, result.output
    written = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert sorted(written) == ["out-bg.md", "out-en.md"]
    assert result.output == "".join(
        f"Wrote {tmp_path / name} ({(tmp_path / name).stat().st_size:,} bytes).\n"
        for name in ("out-bg.md", "out-en.md")
    )
    assert "Основни данни" in written["out-bg.md"]
    assert "Key figures" in written["out-en.md"]


def test_the_archive_is_one_file_whatever_the_language(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "event.json"
    result = _run(["export", "demo", "-f", "json", "--lang", "all", "-o", str(target)], demo)
    assert result.exit_code == 0, result.output
    assert [path.name for path in tmp_path.iterdir()] == ["event.json"]
    assert json.loads(target.read_text())["format"] == "openspace-event"


def test_export_then_import_into_an_empty_database(demo: Path, tmp_path: Path) -> None:
    exported = tmp_path / "demo.json"
    assert _run(["export", "demo", "-f", "json", "-o", str(exported)], demo).exit_code == 0
    empty = tmp_path / "empty"
    assert _run(["migrate"], empty).exit_code == 0
    result = _run(["import", str(exported)], empty)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported 'Laboratory for Cooperation")
    assert "as /o/demo (join code " in result.output
    again = tmp_path / "again.json"
    assert _run(["export", "demo", "-f", "json", "-o", str(again)], empty).exit_code == 0
    first, second = json.loads(exported.read_text()), json.loads(again.read_text())
    assert {k: len(v) for k, v in first["tables"].items()} == {
        k: len(v) for k, v in second["tables"].items()
    }
    assert first["tables"]["topic"][0]["title"] == second["tables"]["topic"][0]["title"]


def test_import_into_the_same_database_makes_a_new_event(demo: Path, tmp_path: Path) -> None:
    exported = tmp_path / "demo.json"
    _run(["export", "demo", "-f", "json", "-o", str(exported)], demo)
    result = _run(["import", str(exported), "--owner", "organiser@demo.openspace.invalid"], demo)
    assert result.exit_code == 0, result.output
    assert "as /o/demo-2 (join code " in result.output
    # The photos got new keys (they are unique) and their files were copied for the new event.
    again = tmp_path / "again.json"
    assert _run(["export", "demo-2", "-f", "json", "-o", str(again)], demo).exit_code == 0
    first = json.loads(exported.read_text())["tables"]["photo"]
    second = json.loads(again.read_text())["tables"]["photo"]
    assert len(first) == len(second) == 5  # four sessions' photos and a plenary item's
    assert not {p["key"] for p in first} & {p["key"] for p in second}
    uploads = demo / "uploads"
    new_event = second[0]["event_id"]
    for photo in second:
        assert (uploads / str(new_event) / f"{photo['key']}.jpg").is_file()
        assert (uploads / str(new_event) / f"{photo['key']}-thumb.jpg").is_file()
    # The organisations' logos too, by the same rule.
    logos = json.loads(again.read_text())["tables"]["event_host"]
    assert [host["name"] for host in logos] == [
        "Bulgarian Council on Refugees and Migrants",
        "UNHCR Bulgaria",
    ]
    for host in logos:
        assert (uploads / str(new_event) / f"{host['logo_key']}.png").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "nope", "-o", "{tmp}/x.pdf"], "There is no event with the address 'nope'."),
        (
            ["export", "demo", "-o", "{tmp}/missing/x.pdf"],
            "The folder {tmp}/missing does not exist.",
        ),
        (["export", "demo", "-f", "xlsx", "-o", "{tmp}/x"], "Invalid value for '--format'"),
        (["export", "demo"], "Missing option '--output'"),
        (
            ["export", "demo", "--lang", "de", "-o", "{tmp}/x.pdf"],
            "Unknown language 'de' for --lang: choose en, bg, pl, uk, ar, fa, all.",
        ),
        (
            ["export", "demo", "--lang", "en", "-l", "EN", "-o", "{tmp}/x.pdf"],
            "Unknown language 'EN' for --lang: choose en, bg, pl, uk, ar, fa, all.",
        ),
        (["import", "{tmp}/none.json"], "{tmp}/none.json: cannot read: No such file or directory"),
        (
            ["import", "{tmp}/bad.json"],
            "{tmp}/bad.json: nothing was imported.\n  file: not valid JSON",
        ),
        (
            ["import", "{tmp}/other.json"],
            '  format: not an Open Space Lab event file (expected "openspace-event")',
        ),
        (
            ["import", "{tmp}/good.json", "--owner", "who@example.org"],
            "  owner: no account with the email who@example.org",
        ),
    ],
)
def test_bad_arguments_get_a_message_not_a_traceback(
    demo: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"format": "something"}')
    _run(["export", "demo", "-f", "json", "-o", str(tmp_path / "good.json")], demo)
    result = _run([arg.replace("{tmp}", str(tmp_path)) for arg in args], demo)
    assert result.exit_code == 2
    assert message.replace("{tmp}", str(tmp_path)) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("vote", "topic_id", 10_000, "no topic with id 10000 in the file"),
        # A value the app itself would refuse (the web forms' rules): named, nothing written.
        (
            "event",
            "phase",
            "bogus",
            '"bogus" is not a phase (one of setup, programme, marketplace, voting, agenda, '
            "sessions, closing, convergence, actions, finished)",
        ),
    ],
)
def test_a_refused_import_writes_nothing(
    demo: Path, tmp_path: Path, table: str, column: str, value: object, message: str
) -> None:
    good = tmp_path / "good.json"
    _run(["export", "demo", "-f", "json", "-o", str(good)], demo)
    data = json.loads(good.read_text())
    data["tables"][table][0][column] = value
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    empty = tmp_path / "empty"
    _run(["migrate"], empty)
    result = _run(["import", str(broken)], empty)
    assert result.exit_code == 2
    assert result.output == (
        f"{broken}: nothing was imported.\n  tables.{table}[0].{column}: {message}\n"
    )
    listed = _run(["export", "demo", "-o", str(tmp_path / "x.md"), "-f", "md"], empty)
    assert "There is no event with the address 'demo'." in listed.output


def test_a_file_from_a_newer_version_is_refused(demo: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    _run(["export", "demo", "-f", "json", "-o", str(good)], demo)
    data = json.loads(good.read_text())
    data["version"] = 2
    data["tables"]["event_logo"] = []  # what a newer version might add
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    empty = tmp_path / "empty"
    _run(["migrate"], empty)
    result = _run(["import", str(newer)], empty)
    assert result.exit_code == 2
    assert result.output == (
        f"{newer}: nothing was imported.\n  version: version 2 is from a newer Open Space Lab; "
        "this installation reads version 1: update it to import this file\n"
    )
    listed = _run(["export", "demo", "-o", str(tmp_path / "x.md"), "-f", "md"], empty)
    assert "There is no event with the address 'demo'." in listed.output


def test_an_unmigrated_database_gets_a_message(demo: Path, tmp_path: Path) -> None:
    _run(["export", "demo", "-f", "json", "-o", str(tmp_path / "x.json")], demo)
    for args, message in (
        (
            ["export", "demo", "-o", str(tmp_path / "x.md")],
            "Database error: no such table: event (has `openspace migrate` been run?)",
        ),
        (
            ["import", str(tmp_path / "x.json")],
            "  database: refused the data, nothing was imported: no such table: event",
        ),
    ):
        result = _run(args, tmp_path / "fresh")
        assert result.exit_code == 2
        assert message in result.output
        assert "Traceback" not in result.output
