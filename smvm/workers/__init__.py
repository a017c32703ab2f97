"""SM slices in worker processes (sandbox layer 3).

The two sides of the worker protocol: ``pool`` runs in the daemon and
starts, feeds and replaces workers; ``child`` is the worker process itself
(``python -m smvm.workers.child``). ``messages`` holds what they say to each
other, ``pipe`` how it is framed, ``calls`` how the daemon answers an SM's
calls, ``proxy`` the node as the SM in a worker sees it, and ``sandbox`` the
limits a worker lowers itself to. (Nothing is imported here: a worker
process starts without the daemon's side.)
"""
