"""The consent rule (app/services/people/naming.py): who a public output may name."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import Settings
from app.i18n import use_locale
from app.models.events import Phase
from app.models.notes import Commitment
from app.services.people import naming
from app.services.people.naming import Naming
from app.services.topics import topics
from tests.factories import access_as, make_event, make_participant
from tests.marketplace_helpers import set_phase

# (id, name, organisation, agreed to be named)
PEOPLE = [
    (1, "Mira", "Zaedno", True),
    (2, "Ivo Secretov", "Hidden Municipality", False),
    (3, "Petya", "UNHCR", True),
    (4, "Dan", "UNHCR", False),  # his organisation is named: Petya gave it too
]


@pytest.fixture
def people() -> Naming:
    return Naming.of(PEOPLE)


def test_only_people_who_agreed_are_named(people: Naming) -> None:
    assert [people.name(number) for number in (1, 2, 3, 4)] == ["Mira", None, "Petya", None]
    with use_locale("en"):
        assert [people.who(number) for number in (1, 2)] == ["Mira", "a participant"]


def test_someone_who_is_gone_is_a_participant(people: Naming) -> None:
    # Forget-me deletes the participant row: their links become NULL, or point nowhere.
    assert (people.name(None), people.name(99)) == (None, None)
    with use_locale("en"):
        assert (people.who(None), people.who(99)) == ("a participant", "a participant")
        assert people.conveners([1, 99]) == "Mira and 1 more"


def test_conveners_are_named_or_counted(people: Naming) -> None:
    assert people.split([2, 1, 4, 3]) == (["Mira", "Petya"], 2)
    with use_locale("en"):
        assert [people.conveners(ids) for ids in ([1, 3], [1, 2], [2], [2, 4], [])] == [
            "Mira, Petya",
            "Mira and 1 more",
            "1 convener",
            "2 conveners",
            "",
        ]
    with use_locale("bg"):
        assert people.conveners([1, 2]) == "Mira и още 1"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Ivo Secretov", "a participant"),
        ("  ivo   SECRETOV ", "a participant"),  # case and spaces aside
        ("Mira and Ivo Secretov", "Mira and a participant"),
        # The list is written anew in the output's language, never patched with its words.
        ("Мира и Ivo Secretov", "Мира and a participant"),
        ("Ivo Secretov, Mira & Petya", "Mira, Petya and a participant"),
        ("Zaedno, hidden municipality / Dan", "Zaedno and 2 participants"),
        ("UNHCR & Petya", "UNHCR & Petya"),  # an organisation someone who agreed gave too
        ("Mira and  Petya", "Mira and  Petya"),  # nobody hidden: as typed
        ("Ivo", "Ivo"),  # only a whole name is screened, not a part of one
        # What forgetting someone left, in whichever language the event spoke then.
        ("Mira и участник", "Mira and a participant"),
        ("A participant", "a participant"),
    ],
)
def test_text_typed_by_hand_is_screened(people: Naming, typed: str, shown: str) -> None:
    with use_locale("en"):
        assert people.screen(typed) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Ahmad Karimi and Ivo Secretov", "Ahmad Karimi и участник"),
        ("Ahmad Karimi and a participant", "Ahmad Karimi и участник"),
        ("Ivo Secretov; Dan", "2 участници"),
        ("Mira, Dan and Hidden Municipality", "Mira и 2 участници"),
        ("Ahmad Karimi and Mira", "Ahmad Karimi and Mira"),  # nothing to hide: as typed
    ],
)
def test_a_screened_list_speaks_only_the_outputs_language(
    people: Naming, typed: str, shown: str
) -> None:
    with use_locale("bg"):
        assert people.screen(typed) == shown


def test_a_name_recorded_as_text_is_named_only_if_its_owner_agreed(people: Naming) -> None:
    clash = Naming.of([*PEOPLE, (5, "Mira", "", False)])  # another Mira who did not agree
    assert [people.may_name(name) for name in ("Mira", " mira ", "Ivo Secretov", "Olga")] == [
        True,
        True,
        False,
        False,  # staff, or a changed name: not a participant who agreed
    ]
    assert clash.may_name("Mira") is False
    assert clash.name(1) == "Mira"  # by id she still is


@pytest.mark.parametrize(
    ("participant_id", "user_id", "who", "shown"),
    [
        (1, None, "Zaedno and Ivo Secretov", "Zaedno and a participant"),
        (2, None, "Anything he typed", "a participant"),
        (None, 7, "The organisers and Dan", "The organisers and a participant"),  # staff
        (None, None, "Mira", "a participant"),  # its author is gone
    ],
)
def test_a_commitment_names_its_author_only_with_their_consent(
    people: Naming, participant_id: int | None, user_id: int | None, who: str, shown: str
) -> None:
    pledge = Commitment(
        event_id=1, proposal_id=1, participant_id=participant_id, user_id=user_id, who=who
    )
    with use_locale("en"):
        assert people.pledger(pledge) == shown


def test_load_reads_one_event(session: Session, settings: Settings) -> None:
    event, other = make_event(session), make_event(session)
    mira, _auth = make_participant(
        session, settings, event=event, name="Mira", organisation="Zaedno", consent_report=True
    )
    make_participant(session, settings, event=event, name="Ivo", organisation="Hidden")
    stranger, _auth = make_participant(session, settings, event=other, consent_report=True)
    loaded = naming.load(session, event_id=event.id or 0)
    assert loaded.named == {mira.id: "Mira"}
    assert loaded.name(stranger.id) is None
    assert (loaded.names, loaded.hidden) == ({"mira"}, {"ivo", "hidden"})


def test_conveners_only_names_conveners_and_screens_nothing(
    session: Session, settings: Settings
) -> None:
    event = make_event(session)
    set_phase(session, event, Phase.MARKETPLACE)
    host, auth = make_participant(session, settings, event=event, name="Mira", consent_report=True)
    make_participant(session, settings, event=event, name="Ivo", consent_report=True)
    topics.propose(session, access=access_as(session, event, auth=auth), title="Housing")
    loaded = naming.load_conveners(session, event_id=event.id or 0)
    assert loaded.named == {host.id: "Mira"}  # Ivo convenes nothing
    for screening in (
        lambda: loaded.screen("Ivo"),
        lambda: loaded.may_name("Mira"),
        lambda: loaded.pledger(Commitment(event_id=1, proposal_id=1, who="Ivo")),
    ):
        with pytest.raises(RuntimeError):
            screening()
