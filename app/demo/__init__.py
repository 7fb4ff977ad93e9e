"""The demo event behind ``openspace demo``: seed data and the loaders that build it through the
services, as an organiser would. Not part of the domain: nothing in ``app.services`` imports it.

``event`` loads the event (team, programme, participants, topics, votes, agenda), ``hosts`` the
organisations that ran it with their logos, its funding acknowledgement and executive summary,
``maps`` its mapping workshop and ``notes`` its session notes, photos, priorities and
commitments. The CLI calls what is re-exported here.
"""

from app.demo.event import DEMO_EMAIL, DEMO_PASSWORD, FACILITATOR_EMAIL, load_demo

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "FACILITATOR_EMAIL", "load_demo"]
