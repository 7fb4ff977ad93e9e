"""After the sessions: the closing circle, convergence (dots on proposals, ranked into
priorities) and action planning (commitments on the top priorities)."""
