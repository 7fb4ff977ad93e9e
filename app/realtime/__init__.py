"""Live updates: per-event channels, coalesced frames, memory or Redis pub/sub."""
