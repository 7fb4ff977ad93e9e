"""The event and its frame: the event itself and its team (events, invitations), the programme
(rooms, days, time blocks) and the phases that open and close each activity."""
