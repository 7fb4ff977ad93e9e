"""Opening an uploaded picture (a flipchart photo, an organisation's logo) safely, one rule for
both: Pillow opens only the formats the caller accepts, a decompression bomb is refused from
its header, before anything is decoded, and so is a picture over the caller's pixel limit.
Each caller words the refusal for its own field (``Refused.reason``)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from typing import Literal

from PIL import Image, UnidentifiedImageError

Reason = Literal["too_many_pixels", "unreadable", "damaged"]


class Refused(Exception):
    """Why a picture was not opened."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


def open_checked(data: bytes, *, formats: Sequence[str], max_pixels: int) -> Image.Image:
    """The picture, opened (not yet decoded), or ``Refused``."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, refuses) on huge images while opening:
            # either way, too big for us. Our own, lower limit is checked right after.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(formats))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise Refused("too_many_pixels") from None
    except UnidentifiedImageError:
        raise Refused("unreadable") from None
    except (OSError, ValueError, SyntaxError):
        raise Refused("damaged") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise Refused("too_many_pixels")
    return image
