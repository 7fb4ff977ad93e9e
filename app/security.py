"""Small cryptographic helpers: tokens, signatures, password hashing, join codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# No look-alikes: O/0, I/1/L, S/5, B/8, Z/2 are left out so a code read off a wall is typed right.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 6

password_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the account does not exist, so a login takes as long either way and
# the response time does not tell an attacker which emails have accounts.
DUMMY_HASH = password_hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: bytes, *parts: str | int) -> str:
    message = "|".join(str(part) for part in parts).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def signature_matches(secret: bytes, signature: str, *parts: str | int) -> bool:
    # Bytes, not str: compare_digest raises TypeError on non-ASCII strings from a crafted URL.
    return hmac.compare_digest(sign(secret, *parts).encode(), signature.encode())


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


# Cyrillic and Greek capitals that look like the Latin letters (and digit) of a code: a phone
# set to Bulgarian, Ukrainian or Greek types "АВС" for "ABC". Lower case is upper-cased first.
CYRILLIC_LOOK_ALIKES = ("АВЕКМНОРСТХУЗ", "ABEKMHOPCTXY3")
GREEK_LOOK_ALIKES = ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX")
_LOOK_ALIKES = str.maketrans(
    CYRILLIC_LOOK_ALIKES[0] + GREEK_LOOK_ALIKES[0], CYRILLIC_LOOK_ALIKES[1] + GREEK_LOOK_ALIKES[1]
)


def normalise_join_code(raw: str) -> str:
    """Uppercase, read Cyrillic and Greek look-alikes as Latin, and drop spaces and dashes, so
    "abc-def", "ABC DEF" and "АВС-DEF" typed on a Cyrillic keyboard all work."""
    return "".join(ch for ch in raw.upper().translate(_LOOK_ALIKES) if ch.isalnum())


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return password_hasher.verify(password, password_hash)
