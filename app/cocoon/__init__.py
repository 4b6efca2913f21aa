"""Talking to the Cocoon access-service: plain Python, no Flask.

tokens.py   the token set and its expiry
client.py   the token endpoint calls (code, password, refresh, revoke)
refresh.py  when to refresh, and the per-session refresh lock
keys.py     verifying access tokens with the access-service's key
sealing.py  encrypting token sets before they reach Redis
packing.py  a token set as few bytes as it takes, before it is sealed
summaries.py  each sealed set's account summary, read once per worker
service.py  the client a scheduled job uses (password grant, kept fresh)
"""
