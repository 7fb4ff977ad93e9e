"""The scheduler, pure (no database): votes in, an agenda grid out. ``scheduler`` is the facade
(``solve``); ``format`` reads and writes ``openspace-schedule/1``; ``problem`` is the indexed
problem both engines share; ``heuristic`` and ``exact`` are the engines."""
