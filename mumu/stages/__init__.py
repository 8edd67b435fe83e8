"""A recording's stages, one module each: its options (which are its key), its work and
its save. The Prefect tasks in ``mumu.tasks`` are thin wrappers; ``plan`` decides which
stages a recording still needs.
"""
