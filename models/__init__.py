"""Shipped data of kdiscourse (label scheme, lexicon, cue lists, models, profiles, pipeline configurations).

This folder holds data, not code; it is installed as the package ``nlp.models`` so that
``importlib.resources`` finds it in a wheel exactly as in an editable checkout.
"""
