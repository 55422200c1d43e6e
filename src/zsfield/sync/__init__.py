"""Helpers of the sync client that are not HTTP: where the officer's token is kept (:mod:`.credentials`).

The client itself is :mod:`zsfield.sync_client`; the store side is :mod:`zsfield.store.sync_apply`.
No Textual or Rich here.
"""
