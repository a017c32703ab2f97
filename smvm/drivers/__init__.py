"""Device drivers feeding the node's I/O tags (GPS from NMEA, ...).

Each driver keeps a sans-I/O core (fed data and the receive time) and thin
sources that do the actual I/O.
"""
