"""The proceedings as a Word document (python-docx): real Heading 1–3 styles, tables with a
repeated header row, photos as pictures, notes turned from Markdown into paragraphs, lists,
tables, bold, italic and struck-through runs and hyperlinks, walking the token stream of the
notes page's own parser (``app.services.markdown.tokens``: the same options, the same link
policy). Opens and edits in Word and LibreOffice.

User text goes into runs as text, never as markup, so it needs no escaping; characters that
XML cannot hold (control characters) are dropped.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Emu, Length, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from app import i18n
from app.i18n import _, ngettext
from app.services import markdown
from app.services.proceedings.render import images
from app.services.proceedings.report import (
    ContentsEntry,
    PhotoView,
    Report,
    ReportPlenary,
    ReportSession,
    SessionNotesView,
    convener_text,
)

PHOTO_WIDTH = Cm(8)
LOGO_HEIGHT, LOGO_WIDTH = Cm(2.2), Cm(5)  # the box a logo fits in, as on the HTML cover
# Word's table of contents: Heading 1 and 2 (the sections, the sessions and plenaries), as
# the PDF's bookmarks; Heading 3 are the notes' fields, which would list each of them.
TOC_FIELD = ' TOC \\o "1-2" \\h \\z \\u '
TOC_STYLES = ("toc 1", "toc 2")
# What may follow w:updateFields in w:settings, in the schema's order (ECMA-376 CT_Settings).
_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults",
    "w:footnotePr",
    "w:endnotePr",
    "w:compat",
    "w:docVars",
    "w:rsids",
    "m:mathPr",
    "w:attachedSchema",
    "w:themeFontLang",
    "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats",
    "w:doNotAutoCompressPictures",
    "w:forceUpgrade",
    "w:captions",
    "w:readModeInkLockDown",
    "w:smartTagType",
    "w:shapeDefaults",
    "w:doNotEmbedSmartTags",
    "w:decimalSymbol",
    "w:listSeparator",
)
LINK_COLOUR = RGBColor(0x05, 0x63, 0xC1)  # Word's own hyperlink blue
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: object) -> str:
    return _NOT_XML.sub("", str(text))


def render_docx(report: Report, *, upload_dir: Path) -> bytes:
    with i18n.use_locale(report.locale):
        document = Document()
        _Writer(document, report, upload_dir).write()
        out = BytesIO()
        document.save(out)
        return out.getvalue()


class _Writer:
    def __init__(self, document: DocumentType, report: Report, upload_dir: Path) -> None:
        self.doc = document
        self.report = report
        self.upload_dir = upload_dir
        self.styles: dict[str, Any] = {}
        self.pictures = images.load_many(upload_dir, (photo.path for photo in report.photos))
        self.logos = images.logos(upload_dir, (host.logo for host in report.hosts))

    def write(self) -> None:
        report = self.report
        props = self.doc.core_properties
        props.title = clean(f"{report.event_name} · {_('Proceedings')}")
        props.language = report.locale
        props.author = clean(", ".join(host.name for host in report.hosts))
        self.doc.styles["Normal"].font.size = Pt(10.5)
        self.cover()
        self.contents()
        self.summary()
        self.figures()
        self.outcomes()
        self.programme()
        self.plenaries()
        self.topics()
        self.sessions()
        self.priorities_and_actions()
        self.maps()
        self.participants()

    # --- helpers --------------------------------------------------------------------------

    def style(self, name: str) -> Any:
        if name not in self.styles:
            self.styles[name] = self.doc.styles[name]
        return self.styles[name]

    def paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        """A paragraph in a style given by name. python-docx's own ``style=`` scans every
        style of the document twice per paragraph (by name, then for the default), which was
        most of the time on a large report; the style id is looked up once here instead."""
        paragraph = self.doc.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self.style(style).style_id
        return paragraph

    def heading(self, text: str, level: int) -> Paragraph:
        return self.paragraph(clean(text), "Title" if level == 0 else f"Heading {level}")

    def para(self, text: str = "", style: str | None = None, *, bold: str = "") -> Paragraph:
        paragraph = self.paragraph(style=style)
        if bold:
            paragraph.add_run(clean(bold)).bold = True
        if text:
            paragraph.add_run(clean(text))
        return paragraph

    def table(
        self, header: list[str], rows: list[list[str]], widths: list[float] | None = None
    ) -> Table:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = self.style("Table Grid")
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(clean(text)).bold = True
        _repeat_header(table)
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = clean(value)
        if widths:
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=False):
                    cell.width = Cm(width)
        self.doc.add_paragraph()
        return table

    # --- sections -------------------------------------------------------------------------

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def cover(self) -> None:
        """The cover, a page of its own: the hosts' logos in a row, the event, its dates,
        venue and hosts, the description and the funding acknowledgement."""
        report = self.report
        shown = [image for host in report.hosts if (image := self.logos.get(host.logo))]
        if shown:
            row = self.paragraph()
            for index, image in enumerate(shown):
                if index:
                    row.add_run("    ")
                width, height = _fit(image, LOGO_WIDTH, LOGO_HEIGHT)
                row.add_run().add_picture(BytesIO(image.content), width=width, height=height)
        self.heading(report.event_name, 0)
        self.para(_("Proceedings"), "Subtitle")
        for label, value in (
            (_("Dates"), report.dates),
            (_("Venue"), report.venue),
            (_("Organised by"), ", ".join(host.name for host in report.hosts)),
        ):
            if value:
                self.para(value, bold=f"{label}: ")
        if report.description:
            self.para(report.description)
        if report.acknowledgement:
            self.para(report.acknowledgement, "Intense Quote")
        self.page_break()

    def contents(self) -> None:
        """A real TOC field (Word fills in the page numbers when it updates the field, which
        it offers on opening: ``updateFields``), holding the current entries meanwhile, so
        the document shows its contents before any update, in LibreOffice too."""
        self.para(_("Contents"), "TOC Heading")
        lines = [
            (level, entry.label) for top in self.report.contents() for level, entry in _flatten(top)
        ]
        styles = [self._toc_style(name) for name in TOC_STYLES]
        for index, (level, label) in enumerate(lines):
            paragraph = self.paragraph()
            paragraph._p.style = styles[level].style_id
            if index == 0:
                _field_char(paragraph, "begin")
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = TOC_FIELD
                paragraph.add_run()._r.append(instruction)
                _field_char(paragraph, "separate")
            paragraph.add_run(clean(label))
            if index == len(lines) - 1:
                _field_char(paragraph, "end")
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        # In the schema's order, which Word checks: before the settings that follow it.
        self.doc.settings.element.insert_element_before(update, *_AFTER_UPDATE_FIELDS)
        self.page_break()

    def _toc_style(self, name: str) -> Any:
        """Word's built-in "toc 1", "toc 2" (python-docx's template only names them)."""
        if name not in self.styles:
            try:
                self.styles[name] = self.doc.styles[name]
            except KeyError:
                style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
                style.style_id = name.upper().replace(" ", "")  # Word's own id: TOC1
                style.base_style = self.doc.styles["Normal"]
                style.paragraph_format.space_after = Pt(2)
                style.paragraph_format.left_indent = Cm(0.6 * TOC_STYLES.index(name))
                self.styles[name] = style
        return self.styles[name]

    def summary(self) -> None:
        if self.report.summary.strip():
            self.heading(_("Executive summary"), 1)
            self.markdown(self.report.summary)

    def figures(self) -> None:
        report = self.report
        self.heading(_("Key figures"), 1)
        self.table(
            [_("Figure"), _("Number")],
            [
                [
                    figure.label,
                    f"{figure.value} ({figure.note})" if figure.note else str(figure.value),
                ]
                for figure in report.figures()
            ],
        )
        if report.organisations_by_type:
            self.heading(_("Organisations by type"), 2)
            self.table(
                [_("Type"), _("Organisations")],
                [[figure.label, str(figure.value)] for figure in report.organisations_by_type],
            )

    def outcomes(self) -> None:
        """The top priorities and the commitments, before the detail."""
        report = self.report
        if not report.has_outcomes:
            return
        self.heading(_("Key outcomes"), 1)
        if report.priorities:
            self.heading(_("Priorities"), 2)
            self.table(
                ["#", _("Priority"), _("Session"), _("Dots")],
                [
                    [str(p.rank), p.text, p.session_title, str(p.dots)]
                    for p in report.top_priorities
                ],
                widths=[1, 9, 5, 1.5],
            )
            if report.more_priorities:
                self.para(_more_priorities(report), "Caption")
        if report.commitments:
            self.heading(_("Commitments"), 2)
            self.table(
                [_("What"), _("Who"), _("When"), _("Priority")],
                [[a.what, a.who, a.when, a.priority] for a in report.commitments],
            )

    def programme(self) -> None:
        report = self.report
        if not report.has_programme:
            return
        self.heading(_("Programme"), 1)
        rooms = report.rooms
        for day in report.days:
            if not day.rows:
                continue
            self.heading(f"{day.label} · {day.title}" if day.title else day.label, 2)
            columns = max(len(rooms), 1)
            table = self.doc.add_table(rows=1, cols=columns + 1)
            table.style = self.style("Table Grid")
            header = [_("Time"), *(rooms or [""])]
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.paragraphs[0].add_run(clean(text)).bold = True
            _repeat_header(table)
            for row in day.rows:
                cells = table.add_row().cells
                cells[0].text = f"{row.starts}–{row.ends}"
                if row.is_slot and rooms:
                    for cell, item in zip(cells[1:], row.cells, strict=True):
                        cell.text = clean(f"{item.number}. {item.title}") if item else ""
                else:
                    merged = cells[1].merge(cells[-1]) if columns > 1 else cells[1]
                    text = row.title or row.kind_label
                    if row.presenter:
                        text += f" — {row.presenter}"
                    merged.text = clean(text)
                    if not row.title:
                        for run in merged.paragraphs[0].runs:
                            run.italic = True
            self.doc.add_paragraph()

    def topics(self) -> None:
        report = self.report
        if not report.topics:
            return
        self.heading(_("Topics and dots"), 1)
        self.table(
            [_("Topic"), _("Conveners"), _("Dots"), _("Session")],
            [
                [t.title, ", ".join(t.conveners), str(t.dots), str(t.session_number or "")]
                for t in report.topics
            ],
            widths=[8, 5, 1.5, 1.5],
        )

    def plenaries(self) -> None:
        recorded = self.report.recorded_plenaries
        if not recorded:
            return
        self.heading(_("Plenaries"), 1)
        for item in recorded:
            self.plenary(item)

    def plenary(self, item: ReportPlenary) -> None:
        self.heading(item.title or _("Plenary"), 2)
        self.para(item.when)
        if item.presenter:
            self.para(item.presenter, bold=f"{_('Presenter')}: ")
        self.notes(item.notes)
        self.photos(item.photos)

    def sessions(self) -> None:
        report = self.report
        if not report.sessions:
            return
        self.heading(_("Sessions"), 1)
        for item in report.entries:
            self.session(item)
        if report.unreported:
            self.heading(_("Sessions without a written report"), 2)
            self.para(_("No report was written for these sessions."))
            self.table(
                ["#", _("Session"), _("When"), _("Room"), _("Conveners")],
                [
                    [
                        str(item.number),
                        item.title,
                        item.when,
                        item.room,
                        convener_text(item) if item.conveners or item.other_conveners else "",
                    ]
                    for item in report.unreported
                ],
                widths=[1, 6, 4, 2.5, 3.5],
            )

    def session(self, item: ReportSession) -> None:
        self.heading(f"{item.number}. {item.title}", 2)
        self.para(f"{item.when} · {item.room}")
        if item.conveners or item.other_conveners:
            self.para(convener_text(item), bold=f"{_('Conveners')}: ")
        self.para(
            f"{_('Dots')}: {item.dots} · {_('Attendance')}: {item.attendance}",
        )
        if item.description:
            self.para(item.description)
        if item.attendees:
            self.para(", ".join(item.attendees), bold=f"{_('Participants')}: ")
        self.notes(item.notes)
        self.photos(item.photos)

    def notes(self, notes: SessionNotesView | None) -> None:
        """A session's or a plenary's notes: its fields, proposals and note takers."""
        if notes and not notes.is_empty:
            for note in notes.fields:
                if note.text.strip():
                    self.heading(note.label, 3)
                    if note.markdown:
                        self.markdown(note.text)
                    else:
                        self.para(note.text)
            if notes.proposals:
                self.heading(_("Proposals"), 3)
                for proposal in notes.proposals:
                    text = proposal.text
                    if proposal.dots is not None:
                        dots = ngettext("%(num)d dot", "%(num)d dots", proposal.dots)
                        text += f" ({dots % {'num': proposal.dots}})"
                    self.para(text, "List Bullet")
            if notes.authors:
                self.para(f"{_('Notes by')} {', '.join(notes.authors)}", "Caption")

    def photos(self, photos: list[PhotoView]) -> None:
        for photo in photos:
            picture = self.pictures.get(photo.path)
            if picture is None:
                self.para(_("The photo file is missing."), "Caption")
            else:
                self.doc.add_picture(BytesIO(picture.content), width=PHOTO_WIDTH)
            if photo.caption:
                self.para(photo.caption, "Caption")

    def markdown(self, text: str) -> None:
        """Markdown notes as Word paragraphs: lists, headings as bold lines, tables, bold,
        italic and struck-through runs, hyperlinks; the tokens come from the notes page's own
        parser, so a link it refuses is plain text here too."""
        style_stack: list[str] = []
        rows: list[list[list[Token]]] | None = None  # inside a table: its cells' inlines
        tokens = markdown.tokens(clean(text))
        for index, token in enumerate(tokens):
            if token.type == "table_open":
                rows = []
            elif token.type == "tr_open" and rows is not None:
                rows.append([])
            elif token.type == "table_close" and rows is not None:
                self.note_table(rows)
                rows = None
            elif token.type == "inline" and rows is not None:
                rows[-1].append(token.children or [])
            elif token.type == "bullet_list_open":
                style_stack.append("List Bullet")
            elif token.type == "ordered_list_open":
                style_stack.append("List Number")
            elif token.type in ("bullet_list_close", "ordered_list_close"):
                style_stack.pop()
            elif token.type == "inline":
                opener = tokens[index - 1].type if index else ""
                style = style_stack[-1] if style_stack else None
                if opener == "blockquote_open" or (
                    index >= 2 and tokens[index - 2].type == "blockquote_open"
                ):
                    style = "Quote"
                paragraph = self.paragraph(style=style)
                _inline(paragraph, token.children or [], heading=opener == "heading_open")
            elif token.type in ("fence", "code_block"):
                self.para(token.content.rstrip("\n"), "No Spacing")

    def note_table(self, rows: list[list[list[Token]]]) -> None:
        """A table in the notes; its first row is the header."""
        if not rows:
            return
        table = self.doc.add_table(rows=len(rows), cols=max(len(row) for row in rows))
        table.style = self.style("Table Grid")
        for number, (row, cells) in enumerate(zip(rows, table.rows, strict=True)):
            for children, cell in zip(row, cells.cells, strict=False):
                _inline(cell.paragraphs[0], children, heading=number == 0)
        _repeat_header(table)

    def priorities_and_actions(self) -> None:
        report = self.report
        if report.more_priorities:  # else the key outcomes list them all
            self.heading(_("Priorities"), 1)
            self.table(
                ["#", _("Priority"), _("Session"), _("Dots")],
                [[str(p.rank), p.text, p.session_title, str(p.dots)] for p in report.priorities],
                widths=[1, 9, 5, 1.5],
            )
        if report.actions:
            self.heading(_("Action plans"), 1)
            pledged = bool(report.commitments)  # commitments: their priority
            self.table(
                [
                    _("What"),
                    _("Who"),
                    _("When"),
                    _("Session"),
                    *([_("Priority")] if pledged else []),
                ],
                [
                    [a.what, a.who, a.when, a.session_title, *([a.priority] if pledged else [])]
                    for a in report.actions
                ],
            )

    def maps(self) -> None:
        report = self.report
        if not report.maps:
            return
        self.heading(_("Other activities of the day"), 1)
        for item in report.maps:
            self.heading(f"{_('Mapping')}: {item.question}", 2)
            for table in item.tables:
                self.para(bold=table.title)
                self.table(table.header, [[str(cell) for cell in row] for row in table.rows])
            for category in item.categories:
                self.heading(f"{category.name} ({category.card_count})", 3)
                for group in category.groups:
                    if group.name:
                        self.para(bold=group.name)
                    for card in group.cards:
                        text = card.text
                        if card.place:
                            text += f" · {card.place}"
                        if card.votes:
                            text += f" (+{card.votes})"
                        self.para(text, "List Bullet")

    def participants(self) -> None:
        report = self.report
        self.heading(_("Participants and organisations"), 1)
        self.para(_("Only participants who agreed to appear in the report are named."))
        if report.participants:
            self.table(
                [_("Name"), _("Organisation"), _("Type")],
                [[p.name, p.organisation, p.org_type] for p in report.participants],
            )
        else:
            self.para(_("No participant agreed to be named."))
        if report.organisations:
            self.heading(_("Organisations"), 2)
            self.table(
                [_("Organisation"), _("Type"), _("Participants")],
                [[o.name, o.org_type, str(o.people)] for o in report.organisations],
            )
        generated = i18n.format_day(report.generated_at.date(), weekday=False, locale=report.locale)
        self.para(_("Compiled by Open Space Lab on %(date)s.") % {"date": generated}, "Caption")


def _more_priorities(report: Report) -> str:
    return _("The %(shown)d with the most dots; all %(total)d are listed under “Priorities”.") % {
        "shown": len(report.top_priorities),
        "total": len(report.priorities),
    }


def _flatten(entry: ContentsEntry, level: int = 0) -> list[tuple[int, ContentsEntry]]:
    return [(level, entry)] + [(level + 1, child) for child in entry.children]


def _field_char(paragraph: Paragraph, kind: str) -> None:
    """A complex field's begin, separate or end mark, in a run of its own."""
    mark = OxmlElement("w:fldChar")
    mark.set(qn("w:fldCharType"), kind)
    paragraph.add_run()._r.append(mark)


def _fit(image: images.Picture, width: Length, height: Length) -> tuple[Length, Length]:
    """The picture's size inside a width × height box, its proportions kept."""
    scale = min(width / image.width, height / image.height)
    return Emu(int(image.width * scale)), Emu(int(image.height * scale))


def _repeat_header(table: Table) -> None:
    """Repeat the first row on every page the table spans."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)


def _inline(paragraph: Paragraph, children: list[Token], *, heading: bool) -> None:
    """A paragraph's runs from its inline tokens: bold, italic and struck-through text, and
    Word hyperlinks for the links (the tokens hold only those the link policy kept). A line
    break in the source is a space, as on the notes page; a hard break (two spaces, or a
    backslash, at the end of a line) is a break."""
    bold, italic, strike = heading, False, False
    link: BaseOxmlElement | None = None
    for child in children:
        kind = child.type
        if kind in ("strong_open", "strong_close"):
            bold = heading or kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            italic = kind == "em_open"
        elif kind in ("s_open", "s_close"):
            strike = kind == "s_open"
        elif kind == "link_open":
            link = _hyperlink(paragraph, str(child.attrs["href"]))
        elif kind == "link_close":
            link = None
        elif kind in ("text", "code_inline", "softbreak", "hardbreak"):
            run = paragraph.add_run(_BREAKS.get(kind, child.content))
            if kind == "hardbreak":
                run.add_break()
            run.bold = bold or None
            run.italic = italic or None
            run.font.strike = strike or None
            if link is not None:
                run.font.underline = True
                run.font.color.rgb = LINK_COLOUR
                link.append(run._r)  # moved from the paragraph into the link


_BREAKS = {"softbreak": " ", "hardbreak": ""}


def _hyperlink(paragraph: Paragraph, url: str) -> BaseOxmlElement:
    """An empty hyperlink to ``url`` at the end of ``paragraph``, for the runs of its text."""
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True))
    paragraph._p.append(link)
    return link
