"""Talking to the Cocoon access-service: plain Python, no Flask.

tokens.py          the token set and its expiry
client.py          the token endpoint calls (code, password, refresh, revoke)
refresh.py         when to refresh, and the refresh lock (one per grant)
keys.py            verifying access tokens with the access-service's key
sealing.py         encrypting token sets before they reach Redis
packing.py         a token set as few bytes as it takes, before it is sealed
summaries.py       each sealed set's account summary, read once per worker
grants.py          sealed token sets in Redis, shared by sessions holding one refresh token
api.py             the user API (/api/v1) as one user: bearer, refresh first, retry once
api_http.py        one exchange with the user API, and what its status means
resources.py       the user API's answers and bodies, typed (msgspec)
errors.py          what a call can end in, by whose problem it is
system_account.py  the token a scheduled job uses (password grant, kept fresh)
"""
