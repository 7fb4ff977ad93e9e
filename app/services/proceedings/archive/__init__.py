"""An event's data as one JSON file, and back: for archives and for moving an event to
another installation.

Table-driven, so tables added later are covered without touching this module: every table
in ``SQLModel.metadata`` whose rows belong to an event (an ``event_id`` column, or a
required foreign key to a table that belongs to one, such as ``topic_convener`` → ``topic``)
is exported, unless ``EXCLUDED`` says why not; ``tests/services/proceedings/test_archive.py``
fails when a table is in neither. The accounts of the event's team (and of anyone its rows point to)
come along without their password hashes.

It is the organisers' full archive, not a publication: it holds every participant's name,
organisation and consent flag, whether or not they agreed to be named (an import restores
the event whole). Its first key, ``notice``, says so to whoever opens the file.

Secrets never leave: sign-in sessions, password hashes, invitation tokens, retry keys, rate
counters, and the nonces behind board and personal links (regenerated on import).

The file says what it is and which version of its layout it follows (``"format":
"openspace-event", "version": 1``; ``schema.VERSION`` says when the version changes): import
refuses another format, and a newer or unknown version, before reading anything else. Moments
are UTC with their offset. README.md, "The event file (JSON)", documents every table and
field; ``tests/test_docs.py`` fails when a table or column is exported but not documented
there, or documented but not exported.

Import checks the whole file first (format marker, version, every row, every reference, and
every value against the rules the services apply: ``rules``) and names the bad entry
(``tables.vote[2].topic_id: no topic with id 99 in the file``); then it
inserts in foreign-key order in one transaction, giving every row a new id and pointing
every reference at the new ids. The event gets a new address (and join code) if its own are
taken. Nothing is written when anything is wrong.

``schema``: the tables, the secret and file columns, values to JSON and back; ``rules``:
what a value must be beyond its type; ``dump``: the event to its file; ``restore``: the file
checked and imported as a new event.
"""
