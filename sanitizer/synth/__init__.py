"""The synthetic world: a seeded, NYC-like stand-in for NYPD arrest, complaint and court data.

``generate`` builds the seven input tables of the data contract plus the ground truth
behind them (which offender committed which complaints, which court scenario each docket
follows, which access grants carry a planted defect), so that sealing, model quality and
the access gate can be checked against what is known to be true. ``write_world`` writes
it with the contract's own writer, so what lands on disk is exactly what ``validate``
expects. Nothing here reads the clock or Python's ``hash``: same seed and version, same
bytes.
"""

from ._world import SCALES, Scale, World, generate, write_world

__all__ = ["SCALES", "Scale", "World", "generate", "write_world"]
