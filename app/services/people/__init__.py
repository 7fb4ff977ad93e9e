"""Who takes part: organiser and facilitator accounts with their browser sessions
(``accounts``), and participants joining from a phone (``participants``)."""
