"""The order of the work: a note → its video (fetch through the cache) → its analysis → the
rendered note → the merge and the write, and what follows a fill. run.py is the one place that
knows the order; context.py holds what a stage is handed; the ledger remembers attempts;
batch.py runs the same pipeline with its analyses through the Message Batches API.

May import every stage below (note, vault, youtube, analysis); never daemon or commands.
"""
