"""The laptop's sync client (no Textual or Rich here): :mod:`.run` (push the outbox, pull to the end),
:mod:`.client` (the server's HTTP API, retries, the server's refusals), :mod:`.results` (what a sync did, exit
codes), :mod:`.server_url`, :mod:`.login` (log in and out, the server's conflict log), :mod:`.http` (the httpx
client, TLS) and :mod:`.credentials` (where the officer's token is kept).

What a sync stores on the laptop is the store's: :mod:`zsfield.store.outbox`, :mod:`zsfield.store.push`,
:mod:`zsfield.store.pull`, :mod:`zsfield.store.conflicts`, :mod:`zsfield.store.sync_state`.
"""
