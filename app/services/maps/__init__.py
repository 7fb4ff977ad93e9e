"""The mapping workshop: maps of opportunities, initiatives and needs, live on the projector."""
