"""Peers of the pattern model for ``bench.peers_section``.

``venv``: the crimeserieslinkage peer's own virtualenv (it needs pandas < 3, which the
project's venv cannot hold); ``run_crimeserieslinkage``: the script timed inside it;
``crimelinkage``: the crimelinkage example data adapted to our featurizer's columns, its
pair builder and its histogram naive Bayes, for the quality comparison.
"""
