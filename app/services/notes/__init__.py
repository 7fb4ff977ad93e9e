"""Session notes: several people edit the same report at once, and nothing is ever lost.

Saves are versioned. Each save names the revision its text started from (the *base*). When
the base is current, the save applies. When someone else saved in between, each field is
merged three ways (base, theirs, mine) line by line: changes to different fields, or to
different lines of one field, merge by themselves; two additions at the same place keep both.
When both changed the same lines, the save is *not* applied to that field: their text stays,
and the text that could not be merged is kept as a conflict beside the field, shown to every
editor until someone has merged it by hand.

Every revision's fields are stored (``NotesRevision``), so any base can be found again.

Against flooding and vandalism: each person may save at most ``SAVES_PER_WINDOW`` times a
minute per event (a fast typist with autosave saves about once in two seconds); a refused save
changes nothing and the phone keeps the text and sends it again. Each person keeps at most one
open conflict per field: a later unmerged save replaces their kept text (what they typed last
holds what they meant). Proposals and next steps are deleted only by whoever added them or by
staff, and only softly: the row stays, is listed in the notes' history and can be restored.

``editing`` (saves and presence) uses ``merge``; ``reading`` reads the notes page and what the
live frames list; ``items`` holds proposals and next steps; ``report`` reads notes for the
proceedings; ``photos`` the flipchart photos; ``shared`` what they all need.
"""
