"""The demo event's mapping workshop of the first morning: about forty cards in Bulgarian and
English, named clusters, a merged duplicate and +1s. Part of ``openspace demo`` (see
``event.py``)."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, col, select

from app.models.base import id_of
from app.models.maps import CardStatus, MapCard, MapPlusOne
from app.models.people import Participant
from app.services.access import EventAccess
from app.services.maps import clustering, lookups, setup

MAP_QUESTION = (
    "Възможности, инициативи и нужди на гражданския сектор / "
    "Opportunities, initiatives and needs of the civil sector"
)
MAP_PLACES = ("София", "Пловдив", "Варна", "Бургас", "Стара Загора", "Цялата страна")
OPP, INIT, NEEDS = 0, 1, 2  # the map's default categories, in their order
SOF, PLO, VAR, BUR, STZ, ALL = range(len(MAP_PLACES))
# (name, category): named by the facilitator while the cards came in.
MAP_CLUSTERS: dict[str, tuple[str, int]] = {
    "funding": ("Финансиране / Funding", OPP),
    "work": ("Работа / Work", OPP),
    "centres": ("Общностни центрове / Community centres", INIT),
    "housing": ("Жилища / Housing", NEEDS),
    "language": ("Език / Language", NEEDS),
}


class DemoCard(NamedTuple):
    text: str
    category: int
    place: int | None
    author: int  # index into event.PARTICIPANTS
    cluster: str | None = None


MAP_CARDS: tuple[DemoCard, ...] = (
    DemoCard(
        "EU funds for integration projects: a new call opens in spring", OPP, ALL, 18, "funding"
    ),
    DemoCard("Общината може да предостави безплатни зали за срещи", OPP, PLO, 12),
    DemoCard("Food factories near Plovdiv are hiring and ready to train", OPP, PLO, 2, "work"),
    DemoCard("Местни бизнеси търсят служители с арабски и английски", OPP, VAR, 13, "work"),
    DemoCard("University students want to volunteer as tutors", OPP, SOF, 8),
    DemoCard("Дарителските кампании в социалните мрежи събират бързо", OPP, None, 0, "funding"),
    DemoCard("The new national strategy names NGOs as partners", OPP, ALL, 16),
    DemoCard("Малки грантове от общинския бюджет за младежки инициативи", OPP, STZ, 15, "funding"),
    DemoCard("Seasonal work on the coast in summer", OPP, BUR, 14, "work"),
    DemoCard("Community libraries (читалища) are open to host classes", OPP, None, 9),
    DemoCard("Медиите проявяват интерес към позитивни истории", OPP, SOF, 1),
    DemoCard(
        "Doctors and engineers among newcomers, waiting for recognition", OPP, SOF, 20, "work"
    ),
    DemoCard("Zaedno community centre: legal advice every Tuesday", INIT, SOF, 0, "centres"),
    DemoCard("Women's Circle Varna meets weekly, with childcare", INIT, VAR, 9, "centres"),
    DemoCard("Младежкият хъб организира спорт и кино за всички", INIT, STZ, 8, "centres"),
    DemoCard("Mentoring pairs newcomers with local professionals", INIT, SOF, 3),
    DemoCard("Безплатни курсове по български език всяка събота", INIT, PLO, 12),
    DemoCard("The Ukrainian mothers' network runs a Saturday school", INIT, VAR, 26, "centres"),
    DemoCard("Горещ телефон за правна помощ на три езика", INIT, ALL, 6),
    DemoCard("Shared kitchen: cooking evenings where neighbours meet", INIT, BUR, 5),
    DemoCard("Общински информационен център за новодошли", INIT, BUR, 14),
    DemoCard("A welcome guide to Sofia in Arabic, Dari and Ukrainian", INIT, SOF, 21),
    DemoCard("Футболен отбор от местни и новодошли младежи", INIT, VAR, 27),
    DemoCard("A job fair with employers who already hire refugees", INIT, SOF, 17),
    DemoCard("Landlords refuse to rent to refugees", NEEDS, SOF, 3, "housing"),
    DemoCard("Липсват социални жилища за семейства с деца", NEEDS, PLO, 11, "housing"),
    DemoCard("A deposit of three months' rent is impossible to pay", NEEDS, VAR, 4, "housing"),
    DemoCard("Временно настаняване след напускане на центъра", NEEDS, ALL, 16, "housing"),
    DemoCard("Bulgarian classes in the evening, for people who work", NEEDS, SOF, 22, "language"),
    DemoCard("Преводачи в болниците и в училищата", NEEDS, ALL, 13, "language"),
    DemoCard("Teaching materials for Bulgarian as a second language", NEEDS, STZ, 8, "language"),
    DemoCard("Психологическа подкрепа на майчин език", NEEDS, None, 19),
    DemoCard("Stable funding instead of one-year projects", NEEDS, ALL, 1),
    DemoCard("Признаване на дипломи без години чакане", NEEDS, ALL, 20),
    DemoCard("Childcare places, so that mothers can attend courses", NEEDS, VAR, 9),
    DemoCard("Информация за правата на достъпен език", NEEDS, BUR, 28),
    DemoCard("Transport to the jobs outside the city", NEEDS, PLO, 23),
    DemoCard("Повече доверие между общините и НПО", NEEDS, None, 2),
    DemoCard("Doctors who accept patients without a personal number", NEEDS, SOF, 24),
)
# A duplicate the facilitator merged: (the card, the index of the card it was merged into).
MAP_DUPLICATE = (DemoCard("Evening Bulgarian courses for working parents", NEEDS, PLO, 25), 28)


def load(session: Session, *, access: EventAccess) -> None:
    """The mapping workshop of the first morning: about forty cards in Bulgarian and English,
    named clusters, a merged duplicate and +1s. Open for cards, and not on the board (which
    shows the dot voting): a facilitator puts it there from Maps."""
    the_map = setup.create_map(
        session, access=access, question=MAP_QUESTION, uses_places=True, uses_org_type=True
    )
    map_id = id_of(the_map)
    places = [setup.add_place(session, access=access, map_id=map_id, name=n) for n in MAP_PLACES]
    categories = lookups.categories(session, map_id=map_id)
    clusters = {
        key: clustering.create_cluster(
            session,
            access=access,
            map_id=map_id,
            category_id=id_of(categories[category]),
            name=name,
        )
        for key, (name, category) in MAP_CLUSTERS.items()
    }
    people = session.exec(
        select(Participant)
        .where(Participant.event_id == access.event_id)
        .order_by(col(Participant.id))
    ).all()

    def card(seed: DemoCard) -> MapCard:
        row = MapCard(
            event_id=access.event_id,
            map_id=map_id,
            category_id=categories[seed.category].id,  # type: ignore[arg-type]
            place_id=places[seed.place].id if seed.place is not None else None,
            cluster_id=clusters[seed.cluster].id if seed.cluster else None,
            text=seed.text,
            participant_id=people[seed.author].id,
        )
        session.add(row)
        session.flush()
        return row

    cards = [card(seed) for seed in MAP_CARDS]
    duplicate, kept = MAP_DUPLICATE
    merged = card(duplicate)
    merged.status = CardStatus.MERGED
    merged.merged_into_id = cards[kept].id
    # A fixed pattern, not random: the demo must look the same on every machine.
    for number, person in enumerate(people[:24]):
        for index, row in enumerate(cards):
            if (index * 7 + number) % 9 == 0 and row.participant_id != person.id:
                session.add(
                    MapPlusOne(event_id=access.event_id, card_id=row.id, participant_id=person.id)  # type: ignore[arg-type]
                )
    session.add(
        MapPlusOne(
            event_id=access.event_id,
            card_id=cards[kept].id,  # type: ignore[arg-type]
            participant_id=people[duplicate.author].id,
        )
    )
    session.commit()
