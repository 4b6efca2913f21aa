"""Limits shared by the server (config/gunicorn.conf.py) and the app, so they agree."""

# gunicorn's limit_request_line: the longest request line ("GET <target> HTTP/1.1") served.
# Room for the platform's ~3 kB tokens in URLs; anything longer gets gunicorn's bare 414.
MAX_REQUEST_LINE = 8190
# The longest path and query the portal puts in a URL it sends a browser to (a `next` it
# carries, a redirect to another origin): the request line less the method, the version and a
# margin, so no URL the portal builds is refused by its own server (or nginx's 8 kB default).
MAX_URL_TARGET = MAX_REQUEST_LINE - 190
