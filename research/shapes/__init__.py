"""kiln-shapes: the procedural shapes world (world), its renderer (render), captions and parser
(captions), training data with a held-out split (dataset) and the adherence checker (checker).

Import from the submodules, e.g. ``from shapes.dataset import make_batch``.
"""
