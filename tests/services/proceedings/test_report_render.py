"""Every format of the proceedings: what it contains, that it names only consenting people,
escapes what people typed, and shows the parts other areas fill (notes, photos, priorities,
action plans, maps) when, and only when, they hold something."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Cm
from PIL import Image
from sqlmodel import Session

from app.config import Settings
from app.models.people import User
from app.services.proceedings import build
from app.services.proceedings.render import images, render
from app.services.proceedings.render.csvzip import FILES, neutralise
from app.services.proceedings.render.markdown import escape
from app.services.proceedings.render.pdf import LocalFetcher
from app.services.proceedings.report import (
    ActionView,
    MapCardView,
    MapCategoryView,
    MapGroupView,
    NoteField,
    PhotoView,
    PriorityView,
    ProposalView,
    Report,
    ReportMap,
    SessionNotesView,
)
from tests.factories import make_event, make_user
from tests.report_helpers import (
    DESK,
    FORMULA,
    HOUSING,
    SECRET_NAME,
    SECRET_ORG,
    TRICKY,
    World,
    add_notes,
    make_world,
)

REPORT_FORMATS = ("html", "pdf", "docx", "md", "csv")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the renderers never touch the database (the builder runs on both)."""
    return sqlite_url


@pytest.fixture
def world(session: Session, settings: Settings) -> World:
    owner: User = make_user(session, email="olga@example.org", name="Olga")
    event = make_event(session, owner=owner, name="Лаборатория София")
    return make_world(session, settings, event=event, owner=owner)


@pytest.fixture
def uploads(settings: Settings) -> Path:
    folder = settings.uploads_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _photo(folder: Path, name: str, size: tuple[int, int] = (1600, 1200), mode: str = "RGB") -> str:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (0, 0, 255, 0))
    image.save(folder / name)
    return name


def with_part_a(built: Report, uploads: Path) -> Report:
    """Synthetic notes, photos, priorities, actions and a map, with what the services never
    give (missing files, paths outside the upload folder, blank fields) to test every case."""
    first, second = built.sessions
    first.notes = SessionNotesView(
        fields=[
            NoteField("Discussion", "We talked about **rents** and\n\n- deposits\n- Кирилица"),
            NoteField("Next steps", "Write to the <script>mayor</script>"),
            NoteField("Empty", "   "),
        ],
        proposals=[ProposalView("A housing desk", dots=4), ProposalView("Shared flats")],
        authors=["Mira"],
    )
    first.photos = [
        PhotoView(_photo(uploads, "flip.jpg"), caption="Флипчарт 1"),
        PhotoView(_photo(uploads, "alpha.png", (300, 200), "RGBA")),
        PhotoView("gone.jpg", caption="Lost one"),
        PhotoView("../outside.jpg", caption="Outside"),
    ]
    second.notes = SessionNotesView(fields=[NoteField("Discussion", "")])  # empty: not shown
    built.priorities = [PriorityView(1, "Open a housing desk", 7, HOUSING)]
    built.actions = [ActionView("=Draft the letter", "Mira", "July", HOUSING)]
    built.maps = [
        ReportMap(
            "What does the city offer?",
            [
                MapCategoryView(
                    "Възможности",
                    [
                        MapGroupView("Jobs", [MapCardView("Job fair", "Sofia", 3)]),
                        MapGroupView("", [MapCardView("Language café")]),
                    ],
                )
            ],
        )
    ]
    return built


def pdf_text(content: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is installed by make test"
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def csv_files(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {Path(name).name: archive.read(name) for name in archive.namelist()}


def text_of(fmt: str, content: bytes, tmp_path: Path) -> str:
    if fmt == "pdf":
        return pdf_text(content, tmp_path)
    if fmt == "docx":
        return docx_text(content)
    if fmt == "csv":
        return "\n".join(data.decode("utf-8-sig") for data in csv_files(content).values())
    # A name inside a sentence is isolated (<bdi>): markup, not text.
    return re.sub(r"</?bdi>", "", content.decode("utf-8"))


# --- consent and content, every format -----------------------------------------------------


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_every_format_names_only_consenting_people(
    session: Session, world: World, uploads: Path, tmp_path: Path, fmt: str
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    text = text_of(fmt, render(built, fmt, upload_dir=uploads), tmp_path)
    for hidden in (SECRET_NAME, "Dan Hidden", SECRET_ORG):
        assert hidden not in text
    assert "Mira" in text
    assert "Petya" in text


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_notes_from_the_services_name_only_consenting_people(
    session: Session, world: World, uploads: Path, tmp_path: Path, fmt: str
) -> None:
    """Ivo and Dan did not agree to be named: Ivo wrote notes, a next step names him and both
    made commitments (Dan as "Dan"); Mira, who agreed, wrote notes and committed."""
    add_notes(session, world, upload_dir=uploads)
    built = build.build(session, access=world.staff)
    text = text_of(fmt, render(built, fmt, upload_dir=uploads), tmp_path)
    flat = re.sub(r"\s+", " ", text.replace("\\", ""))
    for hidden in (SECRET_NAME, "Dan Hidden", "dan hidden", "Dan"):
        assert hidden not in flat, (fmt, hidden)
    for shown in ("a participant", "Mira and Petya"):  # short: PDF table cells wrap
        assert shown in flat, (fmt, shown)
    if fmt != "csv":  # the tables have no notes, only whether a session has them
        assert "Notes by Mira" in flat
        assert "A housing desk in every town" in flat


@pytest.mark.parametrize("fmt", ("html", "pdf", "docx", "md"))
def test_every_document_shows_every_section(
    session: Session, world: World, uploads: Path, tmp_path: Path, fmt: str
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    text = text_of(fmt, render(built, fmt, upload_dir=uploads), tmp_path)
    text = re.sub(r"\s+", " ", text.replace("\\", ""))
    for expected in (
        "Лаборатория София",
        "Funded by AMIF.",
        "Key figures",
        "Organisations by type",
        "Programme",
        "Зала Витоша",
        "Opening",
        HOUSING,
        "Topics and dots",
        "Unscheduled idea",
        "Sessions",
        "rents",
        "Кирилица",
        "A housing desk",
        "Notes by Mira",
        "Priorities",
        "Open a housing desk",
        "Action plans",
        "Draft the letter",
        "Other activities of the day",
        "What does the city offer?",
        "Възможности",
        "Job fair",
        "Language café",
        "Participants and organisations",
        "Zaedno",
    ):
        assert expected in text, (fmt, expected)
    assert "Empty" not in text  # a blank note field has no heading


@pytest.mark.parametrize("fmt", ("html", "pdf", "docx", "md"))
def test_parts_without_data_have_no_heading(
    session: Session, world: World, uploads: Path, tmp_path: Path, fmt: str
) -> None:
    built = build.build(session, access=world.staff)
    text = text_of(fmt, render(built, fmt, upload_dir=uploads), tmp_path)
    for absent in ("Priorities", "Action plans", "Other activities of the day", "Proposals"):
        assert absent not in text, (fmt, absent)
    assert "Key figures" in text


# --- HTML ----------------------------------------------------------------------------------


def test_html_is_self_contained_and_escapes_user_text(
    session: Session, world: World, uploads: Path
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    built.sessions[0].description = '<img src="http://127.0.0.1:9/x.png">'  # an entry
    html = render(built, "html", upload_dir=uploads).decode()
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    assert [s[:23] for s in sources] == ["data:image/jpeg;base64,"] * 2
    assert '&lt;img src="http://127.0.0.1:9/x.png"&gt;' not in html  # quotes escaped too
    assert "&lt;img src=&#34;http://127.0.0.1:9/x.png&#34;&gt;" in html
    assert "<script>" not in html
    assert "&lt;script&gt;mayor&lt;/script&gt;" in html  # Markdown notes keep raw HTML as text
    assert "<strong>rents</strong>" in html
    assert html.count("The photo file is missing.") == 2  # gone.jpg and ../outside.jpg
    assert "@page" in html
    assert '<html lang="bg" dir="ltr">' not in html  # the event's main language is en
    assert html.startswith('<!doctype html>\n<html lang="en" dir="ltr">')


# --- PDF -----------------------------------------------------------------------------------


def test_pdf_has_the_cyrillic_titles_and_embeds_its_fonts(
    session: Session, world: World, uploads: Path, tmp_path: Path
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    content = render(built, "pdf", upload_dir=uploads)
    assert content.startswith(b"%PDF-")
    text = pdf_text(content, tmp_path)
    for title in ("Лаборатория София", HOUSING, "Зала Витоша", "Флипчарт 1", "Възможности"):
        assert title in text
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts, "the PDF uses fonts"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column


def test_pdf_fetcher_takes_only_data_and_upload_files(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "a.txt").write_text("inside")
    (tmp_path / "b.txt").write_text("outside")
    fetcher = LocalFetcher(uploads)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert fetcher.fetch((uploads / "a.txt").as_uri()).read() == b"inside"
    for url in (
        (tmp_path / "b.txt").as_uri(),
        "file:///etc/passwd",
        "file://example.org/etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.org/font.woff",
        "ftp://example.org/x",
    ):
        with pytest.raises(ValueError, match=r"Not fetched|disallowed"):
            fetcher.fetch(url)


# --- DOCX ----------------------------------------------------------------------------------


def test_docx_has_real_headings_tables_and_pictures(
    session: Session, world: World, uploads: Path
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    document = docx.Document(io.BytesIO(render(built, "docx", upload_dir=uploads)))
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith(("Heading", "Title"))
    ]
    # The tricky session's notes are empty: it is listed without a report, not an entry. The
    # one priority is in the key outcomes, with nothing more to list under its own heading.
    assert headings == [
        ("Title", "Лаборатория София"),
        ("Heading 1", "Key figures"),
        ("Heading 2", "Organisations by type"),
        ("Heading 1", "Key outcomes"),
        ("Heading 2", "Priorities"),
        ("Heading 1", "Programme"),
        ("Heading 2", "9 June 2026"),
        ("Heading 1", "Topics and dots"),
        ("Heading 1", "Sessions"),
        ("Heading 2", f"1. {HOUSING}"),
        ("Heading 3", "Discussion"),
        ("Heading 3", "Next steps"),
        ("Heading 3", "Proposals"),
        ("Heading 2", "Sessions without a written report"),
        ("Heading 1", "Action plans"),
        ("Heading 1", "Other activities of the day"),
        ("Heading 2", "Mapping: What does the city offer?"),
        ("Heading 3", "Възможности (2)"),
        ("Heading 1", "Participants and organisations"),
        ("Heading 2", "Organisations"),
    ]
    grid = document.tables[3]  # after the key figures, organisations by type, priorities
    assert [cell.text for cell in grid.rows[0].cells] == ["Time", "Hall", "Зала Витоша"]
    assert [cell.text for cell in grid.rows[2].cells] == ["09:30–10:30", f"1. {HOUSING}", ""]
    assert len(document.inline_shapes) == 2  # flip.jpg and alpha.png; the others are missing
    assert document.core_properties.title == "Лаборатория София · Proceedings"


LIBREOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed")
def test_docx_opens_in_libreoffice(
    session: Session, world: World, uploads: Path, tmp_path: Path
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    source = tmp_path / "report.docx"
    source.write_bytes(render(built, "docx", upload_dir=uploads))
    subprocess.run(
        [
            str(LIBREOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",  # not the user's own
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    assert HOUSING in pdf_text((tmp_path / "report.pdf").read_bytes(), tmp_path)


# --- Markdown ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        (TRICKY, r"\*Roma\* \[kids\](x) \| jobs"),
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("1. not a list", r"1\. not a list"),
        ("<b>bold</b> & co", r"\<b\>bold\</b\> \& co"),
        ("two\nlines\tand tabs", "two lines and tabs"),
        ("a_b `code` ~x~", r"a\_b \`code\` \~x\~"),
        ("2026-06-09 ok.", "2026-06-09 ok."),
    ],
)
def test_markdown_escapes_what_people_typed(typed: str, escaped: str) -> None:
    assert escape(typed) == escaped


def test_markdown_document_keeps_notes_and_escapes_titles(
    session: Session, world: World, uploads: Path
) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    text = render(built, "md", upload_dir=uploads).decode()
    assert f'### <a id="session-1"></a>1\\. {HOUSING}' in text
    assert f"| 2 | {escape(TRICKY)} | 9 June 2026, 11:00–12:00 | Зала Витоша | 1 convener |" in text
    assert f"| 11:00–12:00 |  | 2\\. {escape(TRICKY)} |" in text
    assert "We talked about **rents** and\n\n- deposits\n- Кирилица" in text
    assert "Write to the &lt;script&gt;mayor&lt;/script&gt;" in text
    assert "- Флипчарт 1 (`flip.jpg`)" in text
    assert text.startswith("# Лаборатория София\n")


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+7", "'+7"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        (None, ""),
        (3, "3"),
    ],
)
def test_csv_neutralises_formulas(value: object, cell: str) -> None:
    assert neutralise(value) == cell


def test_csv_zip_has_every_table_neutralised_with_bom(
    session: Session, world: World, uploads: Path
) -> None:
    built = build.build(session, access=world.staff)
    files = csv_files(render(built, "csv", upload_dir=uploads))
    assert sorted(files) == sorted(FILES)
    assert all(data.startswith("\ufeff".encode()) for data in files.values())

    def rows(name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(files[name].decode("utf-8-sig"))))

    assert rows("participants.csv") == [
        ["name", "organisation", "organisation_type"],
        ["Mira", "Zaedno", "NGO"],
        ["Petya", "'=1+2", "Other"],
    ]
    # No next steps and no commitments in this event.
    assert rows("actions.csv") == [["what", "who", "when", "session", "priority"]]
    assert [row[:3] for row in rows("sessions.csv")] == [
        ["session", "topic", "title"],
        ["1", str(world.housing.id), HOUSING],
        ["2", str(world.tricky.id), TRICKY],
    ]
    assert [row[2:] for row in rows("topics.csv")] == [
        ["description", "language", "conveners", "dots", "voters", "session"],
        ["Rents & rooms", "", "Mira", "3", "3", "1"],
        ["", "", "", "2", "2", "2"],
        ["", "", "Petya", "1", "1", ""],
    ]
    assert sorted(row[2] for row in rows("votes.csv")[1:]) == [
        "",
        "",
        "Mira",
        "Mira",
        "Petya",
        "Petya",
    ]
    assert [row[3] for row in rows("attendance.csv")] == [
        "participant",
        "Mira",
        "",
        "Petya",
        "Mira",
    ]


def test_csv_actions_are_neutralised(session: Session, world: World, uploads: Path) -> None:
    built = with_part_a(build.build(session, access=world.staff), uploads)
    files = csv_files(render(built, "csv", upload_dir=uploads))
    assert files["actions.csv"].decode("utf-8-sig").splitlines()[1] == (
        f"'=Draft the letter,Mira,July,{HOUSING},"
    )


def test_csv_actions_hold_next_steps_and_commitments(
    session: Session, world: World, uploads: Path
) -> None:
    add_notes(session, world, upload_dir=uploads)
    built = build.build(session, access=world.staff)
    files = csv_files(render(built, "csv", upload_dir=uploads))
    rows = list(csv.reader(io.StringIO(files["actions.csv"].decode("utf-8-sig"))))
    assert rows == [
        ["what", "who", "when", "session", "priority"],
        ["'=Write to the mayor", "a participant", "July", HOUSING, ""],
        ["Map the landlords", "Zaedno and a participant", "", HOUSING, ""],
        ["Train mediators", "Mira and Petya", "2027", TRICKY, ""],
        ["Zaedno will host the desk", "Mira", "September", HOUSING, DESK],
        ["I will ask the mayor", "a participant", "", HOUSING, DESK],
        ["Bring two lawyers", "a participant", "soon", HOUSING, "'" + FORMULA],
    ]
    sessions = list(csv.reader(io.StringIO(files["sessions.csv"].decode("utf-8-sig"))))
    assert [row[-3:] for row in sessions] == [
        ["attendance", "has_notes", "photos"],
        ["12", "yes", "1"],
        ["2", "yes", "0"],
    ]


# --- photos --------------------------------------------------------------------------------


def test_photos_are_read_only_inside_the_upload_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "sub").mkdir(parents=True)
    _photo(uploads / "sub", "a.jpg", (3000, 1000))
    _photo(tmp_path, "outside.jpg")
    picture = images.load(uploads, "sub/a.jpg")
    assert picture is not None
    assert (picture.width, picture.height) == (800, 267)
    small = images.load(uploads, "sub/a.jpg", max_pixels=images.SCREEN_PIXELS)
    assert small is not None
    assert (small.width, small.height) == (400, 133)
    assert Image.open(io.BytesIO(picture.content)).format == "JPEG"
    assert images.load(uploads, "../outside.jpg") is None
    assert images.load(uploads, str(tmp_path / "outside.jpg")) is None
    assert images.load(uploads, "missing.jpg") is None
    (uploads / "junk.jpg").write_bytes(b"not an image")
    assert images.load(uploads, "junk.jpg") is None
    assert images.load(uploads, "") is None


def test_photos_are_turned_upright(tmp_path: Path) -> None:
    image = Image.new("RGB", (400, 200), (0, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    image.save(tmp_path / "phone.jpg", exif=exif)
    picture = images.load(tmp_path, "phone.jpg")
    assert picture is not None
    assert (picture.width, picture.height) == (200, 400)


@pytest.mark.parametrize("fmt", ("html", "pdf", "docx", "md"))
def test_a_bulgarian_event_gets_bulgarian_headings(
    session: Session, world: World, uploads: Path, tmp_path: Path, fmt: str
) -> None:
    world.event.languages = ["bg", "en"]
    built = with_part_a(build.build(session, access=world.staff), uploads)
    text = text_of(fmt, render(built, fmt, upload_dir=uploads), tmp_path)
    for heading in (
        "Доклад от срещата",
        "Основни данни",
        "Програма",
        "Приоритети",
        "9 юни 2026",
    ):
        assert heading in text, (fmt, heading)
    assert "Key figures" not in text


def test_a_small_jpeg_is_embedded_as_it_is(tmp_path: Path) -> None:
    Image.new("RGB", (300, 200), (9, 9, 9)).save(tmp_path / "thumb.jpg", quality=50)
    picture = images.load(tmp_path, "thumb.jpg", max_pixels=images.SCREEN_PIXELS)
    assert picture is not None
    assert (picture.content, picture.width, picture.height) == (
        (tmp_path / "thumb.jpg").read_bytes(),
        300,
        200,
    )


def test_uploaded_photos_are_embedded(session: Session, world: World, uploads: Path) -> None:
    added = add_notes(session, world, upload_dir=uploads)
    built = build.build(session, access=world.staff)
    html = render(built, "html", upload_dir=uploads).decode()
    thumbnail = (uploads / added.thumb_path).read_bytes()
    assert Image.open(io.BytesIO(thumbnail)).size == (480, 360)
    # On screen, the stored thumbnail shrunk to 400 px; never the photo itself.
    assert html.count('<img src="data:image/jpeg;base64,') == 1
    assert 'width="400" height="300" alt="Флипчарт"' in html
    document = docx.Document(io.BytesIO(render(built, "docx", upload_dir=uploads)))
    [shape] = document.inline_shapes
    embedded = document.part.related_parts[
        shape._inline.graphic.graphicData.pic.blipFill.blip.embed
    ]
    assert Image.open(io.BytesIO(embedded.blob)).size == (640, 480)  # print: the photo
    headers = [[cell.text for cell in table.rows[0].cells] for table in document.tables]
    assert ["What", "Who", "When", "Session", "Priority"] in headers


def test_stored_thumbnails_are_shown_on_screen_and_photos_printed(
    session: Session, world: World, uploads: Path
) -> None:
    built = build.build(session, access=world.staff)
    _photo(uploads, "big.jpg", (1600, 1200))
    Image.new("RGB", (400, 300), (1, 2, 3)).save(uploads / "small.jpg")
    built.sessions[0].photos = [PhotoView("big.jpg", thumbnail="small.jpg")]
    html = render(built, "html", upload_dir=uploads).decode()
    assert 'width="400" height="300"' in html
    assert base64.b64encode((uploads / "small.jpg").read_bytes()).decode() in html
    document = docx.Document(io.BytesIO(render(built, "docx", upload_dir=uploads)))
    [shape] = document.inline_shapes
    embedded = document.part.related_parts[
        shape._inline.graphic.graphicData.pic.blipFill.blip.embed
    ]
    assert Image.open(io.BytesIO(embedded.blob)).size == (800, 600)  # print: the photo itself
    assert shape.width == Cm(8)
