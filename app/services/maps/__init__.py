"""The mapping workshop: maps of opportunities, initiatives and needs, live on the projector.

Facilitators make maps (a question, categories, an optional list of places), put one on the
board, cluster, merge and hide cards, and freeze a map when the activity ends. Participants post
cards from their phones, change or delete their own, and +1 other people's cards once each.
Everything is scoped to the event of the ``EventAccess`` passed in.

``setup`` (maps, categories, places), ``cards`` (from phones), ``clustering`` (the facilitator's
work), ``views`` (what pages and frames show), ``export`` (report tables, CSV), ``colours``
(the palette) and ``lookups`` (by id within the event, shared form checks).
"""
