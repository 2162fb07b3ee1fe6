"""gunicorn settings, read from the working directory: `gunicorn wsgi:app` picks this file up.

gunicorn drops the `Server` header an app sends and writes its own ("gunicorn"), with no setting
to change it; its response class reads the name from this module variable for each response, so
setting it here makes gunicorn send the app's neutral name instead.
"""

import gunicorn.http.wsgi

from app.platform.security import SERVER_HEADER

gunicorn.http.wsgi.SERVER = SERVER_HEADER
