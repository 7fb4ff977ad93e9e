"""The organisations that run an event: added, renamed, ordered and removed by its organisers,
with logo files that come and go with them and with the event; refused input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import Invalid, NotFound, PermissionDenied
from app.i18n import use_locale
from app.models.base import id_of
from app.models.events import Event, EventHost
from app.models.people import User
from app.services.access import EventAccess
from app.services.events import hosts, retention
from app.services.proceedings import build
from tests.factories import access_as, make_event
from tests.marketplace_helpers import make_facilitator
from tests.report_helpers import logo_png
from tests.retention_helpers import upload_files

SVG_REFUSED = "SVG logos cannot be used. Save it as PNG and upload that."
NOT_A_PICTURE = "This file is not a picture we can read. Send a PNG or JPEG."


def _names(session: Session, event: Event) -> list[str]:
    session.expire_all()
    return hosts.names(session, event_id=id_of(event))


def _rows(session: Session) -> list[tuple[int, str, str, int]]:
    session.expire_all()
    found = session.exec(select(EventHost).order_by(EventHost.id)).all()  # type: ignore[arg-type]
    return [(row.event_id, row.name, row.logo_key, row.position) for row in found]


def test_organisations_are_added_in_order_with_their_logos(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    council = hosts.add(
        session, access=staff, name="  Council   for Refugees ", logo=logo_png(), upload_dir=uploads
    )
    unhcr = hosts.add(session, access=staff, name="UNHCR Bulgaria", upload_dir=uploads)

    assert _names(session, event) == ["Council for Refugees", "UNHCR Bulgaria"]
    assert (council.position, unhcr.position, unhcr.logo_key) == (0, 1, "")
    path = hosts.logo_path(uploads, council)
    assert path == uploads / str(id_of(event)) / f"{council.logo_key}.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert upload_files(uploads) == [hosts.logo_relative_path(council)]


def test_the_report_names_the_organisations_and_carries_the_summary(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    council = hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    hosts.add(session, access=staff, name="UNHCR Bulgaria", upload_dir=uploads)
    event.report_summary = "We **met**."
    session.add(event)
    session.commit()

    report = build.build(session, access=staff)

    assert [(host.name, host.logo) for host in report.hosts] == [
        ("Council", f"{id_of(event)}/{council.logo_key}.png"),
        ("UNHCR Bulgaria", ""),
    ]
    assert report.summary == "We **met**."


def test_the_privacy_notice_joins_the_names_in_the_language(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    for name in ("Council", "UNHCR", "Mozaika"):
        hosts.add(session, access=staff, name=name, upload_dir=settings.uploads_path)

    with use_locale("en"):
        english = retention.notice(session, event=event)
    with use_locale("bg"):
        bulgarian = retention.notice(session, event=event)

    assert (english.host, english.host_count) == ("Council, UNHCR and Mozaika", 3)
    assert bulgarian.host == "Council, UNHCR и Mozaika"


def test_rename_move_and_remove(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    first, second, third = (
        hosts.add(session, access=staff, name=name, upload_dir=uploads) for name in "ABC"
    )
    hosts.rename(session, access=staff, host_id=id_of(second), name=" Bee ")
    hosts.move(session, access=staff, host_id=id_of(third), step=-1)
    assert _names(session, event) == ["A", "C", "Bee"]
    hosts.move(session, access=staff, host_id=id_of(first), step=-1)  # first stays first
    hosts.move(session, access=staff, host_id=id_of(first), step=1)
    assert _names(session, event) == ["C", "A", "Bee"]

    hosts.delete(session, access=staff, host_id=id_of(first), upload_dir=uploads)

    assert _names(session, event) == ["C", "Bee"]
    assert [row[3] for row in _rows(session)] == [2, 0]  # Bee and C, as the moves numbered them


def test_a_logo_is_replaced_and_removed_with_its_file(
    session: Session, settings: Settings, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    host = hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    old = hosts.logo_path(uploads, host)

    replaced = hosts.set_logo(
        session, access=staff, host_id=id_of(host), data=logo_png(90), upload_dir=uploads
    )

    new = hosts.logo_path(uploads, replaced)
    assert new != old
    assert upload_files(uploads) == [hosts.logo_relative_path(replaced)]
    assert (
        hosts.viewable_logo(session, access=staff, host_id=id_of(host), upload_dir=uploads) == new
    )

    hosts.remove_logo(session, access=staff, host_id=id_of(host), upload_dir=uploads)

    assert upload_files(uploads) == []
    assert _rows(session)[0][2] == ""
    with pytest.raises(NotFound):
        hosts.viewable_logo(session, access=staff, host_id=id_of(host), upload_dir=uploads)


def test_removing_an_organisation_removes_its_logo(
    session: Session, settings: Settings, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    host = hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    hosts.delete(session, access=staff, host_id=id_of(host), upload_dir=uploads)
    assert (_rows(session), upload_files(uploads)) == ([], [])


def test_deleting_the_event_removes_the_logos(
    session: Session, settings: Settings, event: Event, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    assert len(upload_files(uploads)) == 1

    retention.erase(session, event=event, upload_dir=uploads)

    assert (_rows(session), upload_files(uploads)) == ([], [])


@pytest.mark.parametrize(
    ("name", "logo", "errors"),
    [
        ("   ", b"", {"name": "Enter the organisation's name."}),
        ("x" * 161, b"", {"name": "Use at most 160 characters."}),
        ("council", b"", {"name": "This organisation is listed already."}),
        ("UNHCR", b"<svg/>", {"logo": SVG_REFUSED}),
        ("UNHCR", b"not a picture", {"logo": NOT_A_PICTURE}),
    ],
)
def test_refused_input_adds_nothing(
    session: Session,
    settings: Settings,
    staff: EventAccess,
    name: str,
    logo: bytes,
    errors: dict[str, str],
) -> None:
    uploads = settings.uploads_path
    hosts.add(session, access=staff, name="Council", upload_dir=uploads)

    with pytest.raises(Invalid) as caught:
        hosts.add(session, access=staff, name=name, logo=logo, upload_dir=uploads)

    assert caught.value.errors == errors
    assert [row[1] for row in _rows(session)] == ["Council"]
    assert upload_files(uploads) == []


def test_a_refused_rename_or_logo_keeps_what_was_there(
    session: Session, settings: Settings, staff: EventAccess
) -> None:
    uploads = settings.uploads_path
    host = hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    hosts.add(session, access=staff, name="UNHCR", upload_dir=uploads)
    before, files = _rows(session), upload_files(uploads)

    with pytest.raises(Invalid):
        hosts.rename(session, access=staff, host_id=id_of(host), name="unhcr")
    session.rollback()
    with pytest.raises(Invalid):
        hosts.set_logo(
            session, access=staff, host_id=id_of(host), data=b"GIF89a", upload_dir=uploads
        )

    assert (_rows(session), upload_files(uploads)) == (before, files)


def test_an_event_lists_at_most_ten(
    session: Session, settings: Settings, staff: EventAccess
) -> None:
    for number in range(hosts.MAX_HOSTS):
        hosts.add(session, access=staff, name=f"Org {number}", upload_dir=settings.uploads_path)
    with pytest.raises(Invalid) as caught:
        hosts.add(session, access=staff, name="One more", upload_dir=settings.uploads_path)
    assert caught.value.errors == {"name": "An event lists at most 10 organisations."}
    assert len(_rows(session)) == 10


def test_only_organisers_change_the_list_and_the_team_sees_the_logos(
    session: Session,
    settings: Settings,
    event: Event,
    owner: User,
    staff: EventAccess,
    mira: EventAccess,
) -> None:
    uploads = settings.uploads_path
    host = hosts.add(session, access=staff, name="Council", logo=logo_png(), upload_dir=uploads)
    facilitator = access_as(session, event, user=make_facilitator(session, event, owner))
    host_id = id_of(host)
    before = _rows(session)

    for who in (facilitator, mira):
        for change, values in (
            (hosts.add, {"name": "Us", "upload_dir": uploads}),
            (hosts.rename, {"host_id": host_id, "name": "Us"}),
            (hosts.set_logo, {"host_id": host_id, "data": logo_png(), "upload_dir": uploads}),
            (hosts.remove_logo, {"host_id": host_id, "upload_dir": uploads}),
            (hosts.move, {"host_id": host_id, "step": 1}),
            (hosts.delete, {"host_id": host_id, "upload_dir": uploads}),
        ):
            with pytest.raises(PermissionDenied):
                change(session, access=who, **values)  # type: ignore[operator]

    assert _rows(session) == before
    assert hosts.viewable_logo(
        session, access=facilitator, host_id=host_id, upload_dir=uploads
    ) == hosts.logo_path(uploads, host)
    with pytest.raises(PermissionDenied):
        hosts.viewable_logo(session, access=mira, host_id=host_id, upload_dir=uploads)


def test_another_events_organisation_is_not_found(
    session: Session, settings: Settings, owner: User, staff: EventAccess
) -> None:
    other = make_event(session, owner=owner, name="Other lab")
    theirs = hosts.add(
        session,
        access=access_as(session, other, user=owner),
        name="Theirs",
        logo=logo_png(),
        upload_dir=settings.uploads_path,
    )
    uploads: Path = settings.uploads_path

    with pytest.raises(NotFound):
        hosts.rename(session, access=staff, host_id=id_of(theirs), name="Mine")
    with pytest.raises(NotFound):
        hosts.delete(session, access=staff, host_id=id_of(theirs), upload_dir=uploads)
    with pytest.raises(NotFound):
        hosts.viewable_logo(session, access=staff, host_id=id_of(theirs), upload_dir=uploads)
    assert [row[1] for row in _rows(session)] == ["Theirs"]
