"""Who ran the demo event, who paid for it, and the summary its organisers wrote, so that the
proceedings' cover and first page read like the real event's (see ``PRODUCT.md``). Part of
``openspace demo`` (see ``event.py``).

The two organisations are those of the real event; their logos are plain coloured badges
with initials, drawn with Pillow at load time (no image is kept in the repository, and none
imitates a real logo), and go through the same pipeline as an organiser's upload.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw
from sqlmodel import Session

from app.models.events import EventUpdate
from app.services.access import EventAccess
from app.services.events import events, hosts


class DemoHost(NamedTuple):
    name: str
    initials: str
    colour: tuple[int, int, int]


HOSTS: tuple[DemoHost, ...] = (
    DemoHost("Bulgarian Council on Refugees and Migrants", "BCRM", (176, 58, 46)),
    DemoHost("UNHCR Bulgaria", "UB", (35, 110, 90)),
)

# The demo speaks Bulgarian first (``event.EVENT_LANGUAGES``), and so do these two texts.
ACKNOWLEDGEMENT = (
    "Събитието е организирано в рамките на Националния механизъм за оценка на интеграцията, "
    "съфинансиран от фонд „Убежище, миграция и интеграция“ на Европейския съюз."
)
SUMMARY = """\
На 9 и 10 юни 2026 г. в София около трийсет представители на граждански организации, \
общини, държавни институции и общности на бежанци и мигранти се събраха на „Лаборатория за \
сътрудничество“ — национална среща за интеграцията на бежанците и мигрантите.

Първият ден започна с актуалната картина на интеграцията, карта на възможностите, \
инициативите и нуждите на гражданския сектор и добри практики на европейски неправителствени \
организации. След това участниците предложиха петнайсет теми по метода „Отворено \
пространство“, подредиха ги с гласуване с точки и работиха по тях в пет кръга.

Основните резултати:

- **Жилища:** гаранционен фонд за наем, управляван съвместно от общини и НПО, с пилотен етап \
в два града.
- **Здравеопазване:** кратко ръководство за личните лекари и телефон за помощ при здравното \
осигуряване.
- **Сътрудничество:** образец на споразумение между община и НПО, който може да се подпише \
за месец.
- **Език:** вечерни и онлайн курсове по български език с грижа за децата по време на уроците.
- **Психично здраве:** мрежа от терапевти и обучени преводачи на арабски, дари, фарси и \
украински.

Фондация „Нов дом“, Столична община и Община Пловдив поеха първите ангажименти. Следващата \
национална среща ще провери какво е постигнато.
"""


def badge(initials: str, colour: tuple[int, int, int]) -> bytes:
    """A round coloured badge with white initials on a transparent square, as a PNG."""
    image = Image.new("RGBA", (480, 480), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, 464, 464), fill=(*colour, 255))
    size = 200 if len(initials) <= 2 else 130
    draw.text((240, 240), initials, fill=(255, 255, 255, 255), font_size=size, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(session: Session, *, access: EventAccess, upload_dir: Path) -> None:
    """The organisations with their logos, the funding acknowledgement and the summary."""
    for host in HOSTS:
        hosts.add(
            session,
            access=access,
            name=host.name,
            logo=badge(host.initials, host.colour),
            filename=f"{host.initials.lower()}.png",
            upload_dir=upload_dir,
        )
    events.update_event(
        session,
        access=access,
        data=EventUpdate(report_acknowledgement=ACKNOWLEDGEMENT, report_summary=SUMMARY),
    )
