"""What an event leaves behind: the proceedings, built from the database (``build``, with the
parts other areas own filled in by ``parts``) as a ``Report`` (``report``) and rendered per
format (``render/``), the downloads (``exports``) and the event as one JSON file and back
(``archive/``)."""
