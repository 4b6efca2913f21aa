"""Server-side sessions and who is signed in: below the pages, above Redis.

- interface.py: flask-session's `Session(app)` and its settings (the browser holds only a
  random id), regenerate at sign-in;
- backend.py: the cachelib backend that flask-session stores sessions through;
- store.py, cache.py, invalidations.py: sessions in Redis, the worker's copy of them, and Redis'
  invalidation messages that keep that copy true (cluster_invalidations.py: on a Redis Cluster,
  from every node, following its layout);
- user_sessions.py: the per-user index (the Sessions page, "Sign out everywhere");
- references.py: keyed references that stand for tokens and user names in keys and forms;
- tokens.py: the signed-in user's tokens reached from their session (sign in, read, refresh);
- endings.py: ending sessions (sign-out, from another browser, everywhere);
- devices.py: a browser's User-Agent in words, as a session keeps it.

Nothing here imports a blueprint (app/auth, app/account, app/pages).
"""
