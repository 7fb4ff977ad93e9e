"""Category colours: a fixed palette, so that every colour has a CSS class (the CSP allows no
inline styles), and a text colour that reads on each (WCAG contrast)."""

from __future__ import annotations

from app.i18n import N_

# Category colours: a fixed palette, so that every colour has a CSS class (the CSP allows no
# inline styles) and a text colour that reads on it (see text_colour()).
PALETTE: dict[str, str] = {
    "#ffd166": N_("Yellow"),
    "#7bd389": N_("Green"),
    "#8ecae6": N_("Blue"),
    "#f4a261": N_("Orange"),
    "#f4acb7": N_("Pink"),
    "#c3aed6": N_("Lilac"),
    "#d9d9d9": N_("Grey"),
    "#1d3557": N_("Navy"),
    "#9d0208": N_("Red"),
    "#2a6f4e": N_("Forest"),
}


DARK_TEXT = "#111111"


LIGHT_TEXT = "#ffffff"


# --- colours -----------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two "#rrggbb" colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: str) -> str:
    """Near-black or white, whichever reads better on ``background`` (always ≥ 4.5:1)."""
    dark, light = contrast(background, DARK_TEXT), contrast(background, LIGHT_TEXT)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def swatch_class(colour: str) -> str:
    """The CSS class that paints a category in ``colour`` (app.css has one per palette entry)."""
    return "swatch-" + colour.lstrip("#") if colour in PALETTE else "swatch-d9d9d9"
