"""The agenda: reading it (``agenda``), editing the facilitators' grid (``grid``), check-ins
(``checkins``), calendar feeds (``calendar``), and the scheduler that proposes a grid from the
votes (``solver/``)."""
