"""After the sessions: convergence (dots on proposals, ranked into priorities) and action
planning (commitments on the top priorities) in ``priorities``; the closing circle's
presentation in ``closing``."""
