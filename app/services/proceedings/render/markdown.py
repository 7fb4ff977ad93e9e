"""The proceedings as Markdown (CommonMark with pipe tables).

Text that people typed is escaped, so a title such as ``*Roma* [kids](x) | jobs`` or a name
starting with ``#`` reads as typed and never becomes emphasis, a link, a heading or a broken
table. Session notes are Markdown already: they are written back from the one parse the
notes page and every format share (``app.services.markdown.to_markdown``), so they keep
their formatting, raw HTML in them reads as text as on the report page, and a link the
policy refused (``ftp:``, relative) is its text only.
"""

from __future__ import annotations

import re
from pathlib import Path

from app import i18n
from app.i18n import _, ngettext
from app.services import markdown
from app.services.proceedings.report import (
    MapCardView,
    PhotoView,
    Report,
    ReportPlenary,
    ReportSession,
    SessionNotesView,
    convener_text,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")
# What only means something at the start of a line: a list item or a numbered one.
_LEADING = re.compile(r"^([-+=]|\d+(?=[.)]))")
_SPACE = re.compile(r"\s+")


def escape(text: object) -> str:
    """One line of literal text, Markdown-special characters backslash-escaped; line breaks
    and tabs fold to spaces (a table cell or a heading is one line)."""
    line = _SPECIAL.sub(r"\\\1", _SPACE.sub(" ", str(text)).strip())
    match = _LEADING.match(line)
    if match is None:
        return line
    if match.group(1)[0].isdigit():  # "1. item" → "1\. item"
        end = match.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def notes(text: str) -> str:
    """A note's Markdown, headings kept below the session's (level 4)."""
    return markdown.to_markdown(text, heading=4)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = [
        "| " + " | ".join(escape(cell) for cell in header) + " |",
        "|" + "|".join(" --- " for _cell in header) + "|",
    ]
    out += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return [*out, ""]


def render_markdown(report: Report, *, upload_dir: Path) -> bytes:
    with i18n.use_locale(report.locale):
        return ("\n".join(_lines(report)).rstrip() + "\n").encode("utf-8")


def _lines(report: Report) -> list[str]:
    out: list[str] = []
    for section in (
        _cover,
        _contents,
        _summary,
        _figures,
        _outcomes,
        _programme,
        _plenaries,
        _topics,
        _sessions,
        _priorities_and_actions,
        _maps,
        _participants,
    ):
        out += section(report)
    generated = i18n.format_day(report.generated_at.date(), weekday=False, locale=report.locale)
    out += [f"*{escape(_('Compiled by Open Space Lab on %(date)s.') % {'date': generated})}*"]
    return out


def heading(level: int, text: str, name: str = "") -> list[str]:
    """A heading (``text`` already escaped) with an anchor for the contents' links, the HTML
    file's ids: inline HTML, which CommonMark passes through (on a line of its own it would
    start an HTML block and swallow the heading)."""
    anchor = f'<a id="{name}"></a>' if name else ""
    return [f"{'#' * level} {anchor}{text}", ""]


def _cover(report: Report) -> list[str]:
    out = [f"# {escape(report.event_name)}", "", f"**{escape(_('Proceedings'))}**", ""]
    for label, value in (
        (_("Dates"), report.dates),
        (_("Venue"), report.venue),
        (_("Organised by"), ", ".join(host.name for host in report.hosts)),
    ):
        if value:
            out += [f"- **{escape(label)}:** {escape(value)}"]
    out.append("")
    if report.description:
        out += [escape(report.description), ""]
    if report.acknowledgement:
        out += [f"> {escape(report.acknowledgement)}", ""]
    return out


def _contents(report: Report) -> list[str]:
    out = [f"## {escape(_('Contents'))}", ""]
    for entry in report.contents():
        out.append(f"- [{escape(entry.label)}](#{entry.anchor})")
        out += [f"  - [{escape(child.label)}](#{child.anchor})" for child in entry.children]
    return [*out, ""]


def _summary(report: Report) -> list[str]:
    if not report.summary.strip():
        return []
    return [
        *heading(2, escape(_("Executive summary")), "summary"),
        markdown.to_markdown(report.summary, heading=3),
        "",
    ]


def _figures(report: Report) -> list[str]:
    out = heading(2, escape(_("Key figures")), "figures")
    out += _table(
        [_("Figure"), _("Number")],
        [[f.label, f"{f.value} ({f.note})" if f.note else f.value] for f in report.figures()],
    )
    if report.organisations_by_type:
        out += [f"### {escape(_('Organisations by type'))}", ""]
        out += _table(
            [_("Type"), _("Organisations")],
            [[f.label, f.value] for f in report.organisations_by_type],
        )
    return out


def _outcomes(report: Report) -> list[str]:
    if not report.has_outcomes:
        return []
    out = heading(2, escape(_("Key outcomes")), "outcomes")
    if report.priorities:
        out += [f"### {escape(_('Priorities'))}", ""]
        out += _table(
            ["#", _("Priority"), _("Session"), _("Dots")],
            [[p.rank, p.text, p.session_title, p.dots] for p in report.top_priorities],
        )
        if report.more_priorities:
            shown, total = len(report.top_priorities), len(report.priorities)
            more = _(
                "The %(shown)d with the most dots; all %(total)d are listed under “Priorities”."
            )
            out += [f"*{escape(more % {'shown': shown, 'total': total})}*", ""]
    if report.commitments:
        out += [f"### {escape(_('Commitments'))}", ""]
        out += _table(
            [_("What"), _("Who"), _("When"), _("Priority")],
            [[a.what, a.who, a.when, a.priority] for a in report.commitments],
        )
    return out


def _programme(report: Report) -> list[str]:
    if not report.has_programme:
        return []
    out = heading(2, escape(_("Programme")), "programme")
    for day in report.days:
        if not day.rows:
            continue
        title = f"{day.label} · {day.title}" if day.title else day.label
        out += [f"### {escape(title)}", ""]
        rows: list[list[object]] = []
        for row in day.rows:
            if row.is_slot and report.rooms:
                cells = [f"{c.number}. {c.title}" if c else "" for c in row.cells]
            else:
                text = row.title or row.kind_label
                if row.presenter:
                    text += f" — {row.presenter}"
                cells = [text] + [""] * (len(report.rooms) - 1)
            rows.append([f"{row.starts}–{row.ends}", *cells])
        out += _table([_("Time"), *(report.rooms or [""])], rows)
    return out


def _plenaries(report: Report) -> list[str]:
    if not report.recorded_plenaries:
        return []
    out = heading(2, escape(_("Plenaries")), "plenaries")
    for item in report.recorded_plenaries:
        out += _plenary(item)
    return out


def _plenary(item: ReportPlenary) -> list[str]:
    out = heading(3, escape(item.title or _("Plenary")), f"plenary-{item.block_id}")
    out += [f"{escape(item.when)}  " if item.presenter else escape(item.when)]
    if item.presenter:
        out += [f"**{escape(_('Presenter'))}:** {escape(item.presenter)}"]
    out.append("")
    return out + _notes(item.notes) + _photos(item.photos)


def _topics(report: Report) -> list[str]:
    if not report.topics:
        return []
    return [
        *heading(2, escape(_("Topics and dots")), "topics"),
        *_table(
            [_("Topic"), _("Conveners"), _("Dots"), _("Session")],
            [
                [t.title, ", ".join(t.conveners), t.dots, t.session_number or ""]
                for t in report.topics
            ],
        ),
    ]


def _sessions(report: Report) -> list[str]:
    if not report.sessions:
        return []
    out = heading(2, escape(_("Sessions")), "sessions")
    for item in report.entries:
        out += _session(item)
    if report.unreported:
        out += heading(3, escape(_("Sessions without a written report")), "unreported")
        out += [escape(_("No report was written for these sessions.")), ""]
        out += _table(
            ["#", _("Session"), _("When"), _("Room"), _("Conveners")],
            [
                [
                    item.number,
                    item.title,
                    item.when,
                    item.room,
                    convener_text(item) if item.conveners or item.other_conveners else "",
                ]
                for item in report.unreported
            ],
        )
    return out


def _priorities_and_actions(report: Report) -> list[str]:
    out: list[str] = []
    if report.more_priorities:  # else the key outcomes list them all
        out += heading(2, escape(_("Priorities")), "priorities")
        out += _table(
            ["#", _("Priority"), _("Session"), _("Dots")],
            [[p.rank, p.text, p.session_title, p.dots] for p in report.priorities],
        )
    if report.actions:
        out += heading(2, escape(_("Action plans")), "actions")
        pledged = bool(report.commitments)  # commitments: their priority
        out += _table(
            [_("What"), _("Who"), _("When"), _("Session"), *([_("Priority")] if pledged else [])],
            [
                [a.what, a.who, a.when, a.session_title, *([a.priority] if pledged else [])]
                for a in report.actions
            ],
        )
    return out


def _maps(report: Report) -> list[str]:
    if not report.maps:
        return []
    out = heading(2, escape(_("Other activities of the day")), "activities")
    for map_ in report.maps:
        out += [f"### {escape(_('Mapping'))}: {escape(map_.question)}", ""]
        for table in map_.tables:
            out += [f"**{escape(table.title)}**", ""]
            out += _table(table.header, [list(row) for row in table.rows])
        for category in map_.categories:
            out += [f"#### {escape(category.name)} ({category.card_count})", ""]
            for group in category.groups:
                if group.name:
                    out += [f"**{escape(group.name)}**", ""]
                out += [_card(card) for card in group.cards]
                out.append("")
    return out


def _card(card: MapCardView) -> str:
    line = f"- {escape(card.text)}"
    if card.place:
        line += f" · {escape(card.place)}"
    if card.votes:
        line += f" (\\+{card.votes})"
    return line


def _participants(report: Report) -> list[str]:
    out = heading(2, escape(_("Participants and organisations")), "participants")
    out += [escape(_("Only participants who agreed to appear in the report are named.")), ""]
    if report.participants:
        out += _table(
            [_("Name"), _("Organisation"), _("Type")],
            [[p.name, p.organisation, p.org_type] for p in report.participants],
        )
    else:
        out += [escape(_("No participant agreed to be named.")), ""]
    if report.organisations:
        out += [f"### {escape(_('Organisations'))}", ""]
        out += _table(
            [_("Organisation"), _("Type"), _("Participants")],
            [[o.name, o.org_type, o.people] for o in report.organisations],
        )
    return out


def _session(item: ReportSession) -> list[str]:
    out = heading(3, f"{item.number}\\. {escape(item.title)}", f"session-{item.number}")
    out += [f"{escape(item.when)} · {escape(item.room)}  "]
    if item.conveners or item.other_conveners:
        out += [f"**{escape(_('Conveners'))}:** {escape(convener_text(item))}  "]
    out += [
        f"**{escape(_('Dots'))}:** {item.dots} · **{escape(_('Attendance'))}:** {item.attendance}",
        "",
    ]
    if item.description:
        out += [escape(item.description), ""]
    if item.attendees:
        out += [f"**{escape(_('Participants'))}:** {escape(', '.join(item.attendees))}", ""]
    return out + _notes(item.notes) + _photos(item.photos)


def _notes(view: SessionNotesView | None) -> list[str]:
    """A session's or a plenary's notes: its fields, proposals and note takers."""
    out: list[str] = []
    if view and not view.is_empty:
        for field in view.fields:
            if field.text.strip():
                text = notes(field.text) if field.markdown else escape(field.text)
                out += [f"#### {escape(field.label)}", "", text, ""]
        if view.proposals:
            out += [f"#### {escape(_('Proposals'))}", ""]
            for proposal in view.proposals:
                line = f"- {escape(proposal.text)}"
                if proposal.dots is not None:
                    dots = ngettext("%(num)d dot", "%(num)d dots", proposal.dots)
                    line += f" ({escape(dots % {'num': proposal.dots})})"
                out.append(line)
            out.append("")
        if view.authors:
            out += [f"*{escape(_('Notes by'))} {escape(', '.join(view.authors))}*", ""]
    return out


def _photos(photos: list[PhotoView]) -> list[str]:
    out = []
    for number, photo in enumerate(photos, start=1):
        caption = photo.caption or _("Photo %(number)d") % {"number": number}
        # The file name, not the picture: a Markdown file carries no images.
        out.append(f"- {escape(caption)} (`{photo.path.replace('`', '')}`)")
    if photos:
        out.append("")
    return out
