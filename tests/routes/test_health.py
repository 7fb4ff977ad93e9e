"""GET /healthz, for load balancers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import SECRET


def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})
    assert response.headers["x-content-type-options"] == "nosniff"


def test_healthz_database_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url="postgresql://nobody@127.0.0.1:1/nothing",  # nothing listens on port 1
        secret_key=SECRET,
        use_cdn=False,
    )
    client = TestClient(create_app(settings))  # no lifespan: nothing else may need the database
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "database": "unreachable"},
    )


def test_healthz_refuses_post(client: TestClient) -> None:
    assert client.post("/healthz").status_code == 405
