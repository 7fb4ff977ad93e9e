"""requirements.lock agrees with pyproject.toml: every dependency, test tool and the build
backend is pinned at a version pyproject allows, and every pin carries hashes (`make lock`)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
Pins = dict[str, tuple[Version, int]]  # name: (version, number of hashes)


def read_lock(text: str) -> Pins:
    """Each pinned package's version and number of hashes; a line that is not a pin fails."""
    pins: Pins = {}
    logical = re.sub(r"\\\n", " ", text)  # join the continuation lines of each entry
    for line in logical.splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        pin = PIN.match(entry)
        if pin is None:
            raise ValueError(f"not a pin: {entry[:80]}")
        rest = entry[pin.end() :].split()
        hashes = [part for part in rest if HASH.fullmatch(part)]
        if len(hashes) != len(rest):
            raise ValueError(f"{pin.group(1)}: only --hash=sha256:… may follow the version")
        pins[canonicalize_name(pin.group(1))] = (Version(pin.group(2)), len(hashes))
    return pins


def declared(pyproject: dict[str, object]) -> list[Requirement]:
    """pyproject's dependencies, its test extra and its build backend's requirements."""
    project = pyproject["project"]
    build = pyproject["build-system"]
    assert isinstance(project, dict) and isinstance(build, dict)
    texts = [
        *project["dependencies"],
        *project["optional-dependencies"]["test"],
        *build["requires"],
    ]
    return [Requirement(text) for text in texts]


def disagreements(requirements: list[Requirement], pins: Pins) -> list[str]:
    problems = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement}: not in the lock")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement}: the lock pins {pins[name][0]}")
    problems += [f"{name}=={version}: no hash" for name, (version, n) in pins.items() if n == 0]
    return problems


@pytest.fixture(scope="module")
def pins() -> Pins:
    return read_lock((ROOT / "requirements.lock").read_text())


@pytest.fixture(scope="module")
def requirements() -> list[Requirement]:
    return declared(tomllib.loads((ROOT / "pyproject.toml").read_text()))


def test_lock_pins_every_declared_requirement_with_hashes(
    requirements: list[Requirement], pins: Pins
) -> None:
    assert len(requirements) >= 30
    assert disagreements(requirements, pins) == []


def test_lock_pins_what_the_extras_bring(requirements: list[Requirement], pins: Pins) -> None:
    """`uvicorn[standard]` and the like: what each extra adds is locked too (read from the
    installed metadata, which the lock's own versions provide)."""
    missing = []
    for requirement in requirements:
        for extra in requirement.extras:
            try:
                brought = requires(requirement.name) or []
            except PackageNotFoundError:
                missing.append(f"{requirement.name}: not installed")
                continue
            for text in brought:
                wanted = Requirement(text)
                if wanted.marker is None or not wanted.marker.evaluate({"extra": extra}):
                    continue
                if canonicalize_name(wanted.name) not in pins:
                    missing.append(f"{requirement.name}[{extra}] needs {wanted.name}")
    assert missing == []


LOCK = """\
# a header
fastapi==0.165.0 \\
    --hash=sha256:{a} \\
    --hash=sha256:{b}
    # via openspace-lab (pyproject.toml)
starlette==1.2.1 \\
    --hash=sha256:{a}
pillow==12.3.0
""".format(a="a" * 64, b="0" * 64)


def test_lock_reading_finds_each_disagreement() -> None:
    pins = read_lock(LOCK)
    assert pins == {
        "fastapi": (Version("0.165.0"), 2),
        "starlette": (Version("1.2.1"), 1),
        "pillow": (Version("12.3.0"), 0),
    }
    wanted = [Requirement(text) for text in ("FastAPI>=0.133", "starlette>=1.3.1", "Pillow>=12.3")]
    wanted += [Requirement("ruff>=0.8"), Requirement("tomli>=2; python_version < '3.0'")]
    assert disagreements(wanted, pins) == [
        "starlette>=1.3.1: the lock pins 1.2.1",
        "ruff>=0.8: not in the lock",
        "pillow==12.3.0: no hash",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fastapi>=0.133 \\\n    --hash=sha256:" + "a" * 64 + "\n", "not a pin: fastapi>=0.133"),
        ("-e .\n", "not a pin: -e ."),
        ("fastapi==0.165.0 --hash=md5:abc\n", "fastapi: only --hash=sha256:… may follow"),
    ],
)
def test_lock_reading_refuses_what_is_not_a_hashed_pin(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        read_lock(text)
