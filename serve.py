"""Vigie's server: `streamlit run serve.py` (what `python -m vigie serve` and `make run` start).

The Streamlit app is app.py; this launcher only mounts, beside Streamlit's own routes, the route that
sets and clears the login cookie (vigie/ui/session_cookie.py explains why it has to be an HTTP route).
`streamlit run app.py` still serves everything, without keeping the login across reloads.
"""

import streamlit as st

from vigie.ui.session_cookie import routes

app = st.App("app.py", routes=routes())
