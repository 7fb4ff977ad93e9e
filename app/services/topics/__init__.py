"""The marketplace: proposing and moderating topics (``topics``), co-hosting (``cohosting``),
similar-topic hints (``hints``), dot voting (``votes``), the pitch queue (``pitches``),
announcements (``news``) and the one query for who convenes what (``conveners``), shared by
the agenda, the grid, the board and the proceedings."""
