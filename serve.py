"""Vigie's server: `streamlit run serve.py` (what `python -m vigie serve` and `make run` start).

The Streamlit app is app.py; this launcher only mounts, beside Streamlit's own routes, the route that
sets and clears the login cookie (vigie/ui/session_cookie.py explains why it has to be an HTTP route).
`streamlit run app.py` still serves everything, without keeping the login across reloads.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from vigie.ui.session_cookie import routes

# With a `pages/` folder beside app.py, Streamlit runs a process's first session the v1 way (every file of
# pages/ a page) until app.py's st.navigation switches the whole process to v2: the first visitor of a
# shared link (/carte) got a "Page not found" dialog above the right page. st.navigation sets this very
# flag on its first call; set here, before any session, it spares that visitor the dialog (tests/test_load_client.py).
PagesManager.uses_pages_directory = False

app = st.App("app.py", routes=routes())
