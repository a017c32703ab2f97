"""Attacks on the whole node, across packages (SM code, frames, clients,
workers); each test checks the node still serves afterwards. Cores fed raw
frames come from ``sim.testing``; ``_attack`` adds the checks."""
