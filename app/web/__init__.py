"""The pages' plumbing, shared by every blueprint: security headers and checks, error pages,
templating, logs, metrics, health probes and rate limits.

Nothing here imports a blueprint (app/auth, app/account, app/pages).
"""
