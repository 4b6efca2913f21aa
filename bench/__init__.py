"""Benchmarks of the portal, each a ratio against a baseline measured in the same run.

`make bench` (`python -m bench`) starts Redis, the emulated access-service, the portal and the
baseline app under the same gunicorn settings, measures, and writes bench/out/results.md
(`make bench RESULTS=bench/results.md` rewrites the tracked one).
"""
