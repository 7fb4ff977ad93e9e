"""The files in deploy/ are what the README tells people to copy: they must stay right."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_example_environment_names_every_setting_and_no_secret() -> None:
    text = (DEPLOY / "openspace.env.example").read_text()
    assigned = dict(re.findall(r"^(OPENSPACE_[A-Z_]+)=(.*)$", text, re.M))
    assert set(assigned) == {f"OPENSPACE_{name.upper()}" for name in Settings.model_fields}
    assert assigned["OPENSPACE_SECRET_KEY"] == ""


def test_the_units_read_that_environment_and_serve() -> None:
    for unit in ("openspace.service", "openspace@.service"):
        text = (DEPLOY / unit).read_text()
        assert "EnvironmentFile=/etc/openspace/openspace.env" in text
        assert re.search(r"^ExecStart=\S+/openspace serve ", text, re.M)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="make os-packages installs haproxy")
def test_the_haproxy_config_is_valid_with_addresses_in_its_environment() -> None:
    env = {
        **os.environ,
        "OPENSPACE_LISTEN": "127.0.0.1:8080",
        "OPENSPACE_APP1": "10.0.0.11:8000",
        "OPENSPACE_APP2": "10.0.0.12:8000",
        "OPENSPACE_APP3": "10.0.0.13:8000",
    }
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
