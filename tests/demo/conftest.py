"""Demo tests use the service fixtures' cheap password hashing: loading the demo signs up its
team, and the production Argon2 cost would make these tests slow."""

from __future__ import annotations

from tests.services.conftest import fast_password_hashing  # noqa: F401  (autouse fixture)
