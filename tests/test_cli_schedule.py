"""``openspace schedule``: the result on a valid file, a message naming the entry otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()

VALID: dict[str, Any] = {
    "format": "openspace-schedule/1",
    "rooms": [{"id": "big-hall", "capacity": 60}, {"id": "room-2", "capacity": 1}],
    "slots": [{"id": "d1-1100"}, {"id": "d1-1400"}],
    "blocked": [{"room": "room-2", "slot": "d1-1100"}],
    "topics": [{"id": "t1", "conveners": ["p7"]}, {"id": "t2", "conveners": ["p7", "p9"]}],
    "votes": [
        {"voter": "p1", "topic": "t1"},
        {"voter": "p1", "topic": "t2"},
        {"voter": "p2", "topic": "t2"},
    ],
    "locked": [{"topic": "t2", "room": "big-hall", "slot": "d1-1400"}],
    "previous": [{"topic": "t1", "room": "room-2", "slot": "d1-1400"}],
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "instance.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize("engine", ["heuristic", "exact", "auto"])
def test_schedule_prints_the_result(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, VALID)
    result = runner.invoke(
        cli, ["schedule", str(path), "--engine", engine, "--time-limit", "2", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    # t2 is locked in big-hall at 14:00, so its convener p7 cannot run t1 then: t1 goes to
    # 11:00, where only big-hall is open. p1 attends in both slots, p2 once: 3 votes; moving
    # t1 from room-2 at 14:00 is 1 move.
    assert output["assignments"] == [
        {"topic": "t1", "room": "big-hall", "slot": "d1-1100"},
        {"topic": "t2", "room": "big-hall", "slot": "d1-1400"},
    ]
    assert output["unscheduled"] == []
    assert (output["attendable_votes"], output["overflow"], output["moves"]) == (3, 0, 1)
    assert output["bound"] == 3
    assert output["engine"] == ("heuristic" if engine == "heuristic" else "exact")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        (
            {**VALID, "votes": [{"voter": "p1", "topic": "t1"}, {"voter": "p1", "topic": "t99"}]},
            "votes[1]: topic 't99' is not in topics",
        ),
        (
            {
                **VALID,
                "rooms": [{"id": "big-hall", "capacity": 60}, {"id": "big-hall", "capacity": 9}],
            },
            "rooms[1]: duplicate room id 'big-hall'",
        ),
        (
            {**VALID, "locked": [{"topic": "t2", "room": "room-2", "slot": "d1-1100"}]},
            "locked[0]: cell (room-2, d1-1100) is blocked",
        ),
        ([], "instance: must be a JSON object"),
    ],
)
def test_schedule_rejects_malformed_input_naming_the_entry(
    tmp_path: Path, data: object, message: str
) -> None:
    path = write(tmp_path, data)
    result = runner.invoke(cli, ["schedule", str(path)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith(f"{path}: ")
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_schedule_rejects_an_unknown_engine(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["schedule", str(write(tmp_path, VALID)), "--engine", "magic"])
    assert result.exit_code == 2
    assert "magic" in result.output
    assert "Traceback" not in result.output
