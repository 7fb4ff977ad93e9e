"""The marketplace: proposing topics and similar-topic hints (``topics``), dot voting
(``votes``), the pitch queue (``pitches``), announcements (``news``) and the one query for who
convenes what (``conveners``), shared by the agenda, the grid, the board and the proceedings."""
