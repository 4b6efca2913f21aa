"""The Flask extensions shared by every app, bound to one in create_app (nothing else here).

authlib's OAuth registry is not among them: it caches clients by name, so each app builds its
own (see app/__init__.py) and two apps in one process never share client credentials.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Per client address; the address is the proxy's unless TrustedProxyFix vouches for it.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
