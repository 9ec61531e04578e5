"""Fits, simulation-based inference and mismodelling diagnosis (imported as ``mlhad.inference``)."""
