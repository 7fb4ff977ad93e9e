"""The adversarial suite: each test replays one attack from the outside audit (issue #10)
through HTTP or the WebSocket, and fails on the code the audit found.

It uses the route fixtures (a browser per attacker, the event and its organiser), and for
the WebSocket attacks the real server of tests/realtime."""

from __future__ import annotations

from tests.realtime.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    anyio_backend,
    organiser_cookies,
    server,
)
from tests.routes.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    event,
    new_client,
    organiser,
    owner,
)
