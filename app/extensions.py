"""The Flask extensions shared by every app, bound to one in create_app (nothing else here).

authlib's OAuth registry is not among them: it caches clients by name, so each app builds its
own (see app/__init__.py) and two apps in one process never share client credentials.
"""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
