"""The storage layer: every table and every query, one module per concern.

Dependencies run one way: models and errors at the bottom; db (connections); documents (the
public representation); changelog (the log, its head, facets and counts); listing (reads);
writes (create, update, delete, and announcing scheduled articles); tokens; migrate. The
endpoints never import these: they call the facade, `api.store.Store`, through `get_store()`.
"""
