"""How long a test waits for what real processes, sockets and threads do.

Only a guard against a hang, never a speed assertion: generous enough for a
2-core machine running the suite on two workers beside other work (a daemon's
first SM starts its worker processes, which import and compile first).
"""
PATIENCE = 120.0
