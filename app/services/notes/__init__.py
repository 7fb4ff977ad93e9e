"""Session notes: concurrent editing with a three-way merge, proposals and next steps, and
flipchart photos (``photos``)."""
