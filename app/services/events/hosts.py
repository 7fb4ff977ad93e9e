"""The organisations that run an event, in order, with their logos: one list that the
privacy notice (who looks after participants' data) and the cover of the proceedings both
name. Only the event's organisers change it; its facilitators see it.

A logo is checked and re-encoded before anything is written (``logos.process``, outside any
transaction: decoding takes a moment and SQLite's write lock is the whole database), then
its file is written under a new random key and the row committed. A row never names a file
that is not there yet: a failed commit removes the new file, and a replaced or removed logo's
old file goes only once the change is committed. The files live in the event's upload folder
beside its photos, so deleting the event (``retention.erase``, ``openspace purge``) removes
them the same way.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlmodel import Session, col, select

from app.errors import Invalid, NotFound
from app.i18n import _
from app.models.events import HOST_NAME_MAX, EventHost, Role
from app.services.access import EventAccess
from app.services.events import logos
from app.services.text import too_long

MAX_HOSTS = 10


def of_event(session: Session, *, event_id: int) -> list[EventHost]:
    """The event's organisations in their order."""
    return list(
        session.exec(
            select(EventHost)
            .where(EventHost.event_id == event_id)
            .order_by(col(EventHost.position), col(EventHost.id))
        ).all()
    )


def names(session: Session, *, event_id: int) -> list[str]:
    return [host.name for host in of_event(session, event_id=event_id)]


def logo_path(upload_dir: Path, host: EventHost) -> Path:
    return logos.path_of(upload_dir, host.event_id, host.logo_key)


def logo_relative_path(host: EventHost) -> str:
    """The logo's path inside the upload folder, empty when the organisation has none."""
    return logos.relative_path(host.event_id, host.logo_key) if host.logo_key else ""


def _clean_name(session: Session, *, event_id: int, name: str, host_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid({"name": _("Enter the organisation's name.")})
    if message := too_long(name, HOST_NAME_MAX):
        raise Invalid({"name": message})
    for other in of_event(session, event_id=event_id):
        if other.id != host_id and other.name.casefold() == name.casefold():
            raise Invalid({"name": _("This organisation is listed already.")})
    return name


def _host(session: Session, *, access: EventAccess, host_id: int) -> EventHost:
    host = session.get(EventHost, host_id)
    if host is None or host.event_id != access.event_id:
        raise NotFound(_("There is no such organisation."))
    return host


def _save(session: Session, host: EventHost, *, upload_dir: Path, new_key: str = "") -> None:
    """Commit ``host``; a failed commit takes the file it was about to name with it."""
    session.add(host)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        logos.remove(upload_dir, host.event_id, new_key)
        raise
    session.refresh(host)


def _store(upload_dir: Path, event_id: int, logo: logos.Logo) -> str:
    key = secrets.token_urlsafe(24)
    logos.write(upload_dir, event_id, key, logo)
    return key


def add(
    session: Session,
    *,
    access: EventAccess,
    name: str,
    logo: bytes = b"",
    filename: str = "",
    upload_dir: Path,
) -> EventHost:
    """Add an organisation at the end of the list, with its logo if one is sent. Organisers
    only; nothing is stored when the name or the logo is refused."""
    access.require(Role.ORGANISER)
    cleaned = _clean_name(session, event_id=access.event_id, name=name)
    existing = of_event(session, event_id=access.event_id)
    if len(existing) >= MAX_HOSTS:
        raise Invalid({"name": _("An event lists at most 10 organisations.")})
    processed = logos.process(logo, filename=filename) if logo or filename else None
    host = EventHost(
        event_id=access.event_id,
        name=cleaned,
        position=max((other.position for other in existing), default=-1) + 1,
    )
    if processed is not None:
        host.logo_key = _store(upload_dir, access.event_id, processed)
    _save(session, host, upload_dir=upload_dir, new_key=host.logo_key)
    return host


def rename(session: Session, *, access: EventAccess, host_id: int, name: str) -> EventHost:
    access.require(Role.ORGANISER)
    host = _host(session, access=access, host_id=host_id)
    host.name = _clean_name(session, event_id=access.event_id, name=name, host_id=host.id)
    session.add(host)
    session.commit()
    session.refresh(host)
    return host


def set_logo(
    session: Session,
    *,
    access: EventAccess,
    host_id: int,
    data: bytes,
    filename: str = "",
    upload_dir: Path,
) -> EventHost:
    """Give an organisation its logo, or a new one in place of the old (whose file goes)."""
    access.require(Role.ORGANISER)
    _host(session, access=access, host_id=host_id)  # refused before the picture is decoded
    processed = logos.process(data, filename=filename)
    host = _host(session, access=access, host_id=host_id)  # as it is now, after decoding
    old_key = host.logo_key
    host.logo_key = _store(upload_dir, access.event_id, processed)
    _save(session, host, upload_dir=upload_dir, new_key=host.logo_key)
    logos.remove(upload_dir, access.event_id, old_key)
    return host


def remove_logo(
    session: Session, *, access: EventAccess, host_id: int, upload_dir: Path
) -> EventHost:
    access.require(Role.ORGANISER)
    host = _host(session, access=access, host_id=host_id)
    old_key, host.logo_key = host.logo_key, ""
    _save(session, host, upload_dir=upload_dir)
    logos.remove(upload_dir, access.event_id, old_key)
    return host


def delete(session: Session, *, access: EventAccess, host_id: int, upload_dir: Path) -> None:
    """Remove an organisation from the list, and its logo's file."""
    access.require(Role.ORGANISER)
    host = _host(session, access=access, host_id=host_id)
    key = host.logo_key
    session.delete(host)
    session.commit()
    logos.remove(upload_dir, access.event_id, key)


def move(session: Session, *, access: EventAccess, host_id: int, step: int) -> None:
    """Move an organisation one place up (``step`` -1) or down (+1); at either end it stays.
    The list is numbered afresh, so positions stay 0, 1, 2 … whatever came before."""
    access.require(Role.ORGANISER)
    host = _host(session, access=access, host_id=host_id)
    order = of_event(session, event_id=access.event_id)
    index = next(number for number, other in enumerate(order) if other.id == host.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    for position, other in enumerate(order):
        other.position = position
        session.add(other)
    session.commit()


def viewable_logo(session: Session, *, access: EventAccess, host_id: int, upload_dir: Path) -> Path:
    """An organisation's logo file, for the event's team."""
    access.require_staff()
    host = _host(session, access=access, host_id=host_id)
    path = logo_path(upload_dir, host)
    if not host.logo_key or not path.is_file():
        raise NotFound(_("This organisation has no logo."))
    return path
