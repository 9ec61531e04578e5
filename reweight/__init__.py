"""Reweighting of generator predictions (imported as ``mlhad.reweight``)."""
