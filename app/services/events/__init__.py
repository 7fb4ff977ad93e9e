"""The event and its frame: the event itself (events) and its team (team: members,
invitations), the programme (rooms, days, time blocks) and the phases that open and close each
activity."""
