"""The login cookie: how a signed session token (vigie.sessions) reaches the browser and comes back.

Why this way. A Streamlit script talks to the browser over a WebSocket and cannot send a
Set-Cookie header, and a cookie written by JavaScript cannot be HttpOnly. So the cookie is set and
cleared by a small HTTP route of our own, `/_vigie/session`, mounted on Streamlit's server through
its public `st.App(script, routes=[...])` (Streamlit ≥ 1.5x; `serve.py` at the top of the repository
is that launcher, and `streamlit run serve.py` or `python -m vigie serve` start it). This is the
model of st.login's own routes (`/auth/login`, `/oauth2callback`), which set their cookie from an
HTTP response too, but it relies on no private part of Streamlit:

1. Login (password form): the script signs a token and files it under a one-time ticket (random,
   60 s, in this process's memory: vigie.sessions.TICKETS). The page then runs a few lines of
   JavaScript (st.html, public) that POST the ticket, same-origin, to `/_vigie/session`; the route
   answers with the cookie: HttpOnly, SameSite=Strict, Path = the server's base path, Max-Age = the
   session's remaining lifetime, Secure when the request came over https (directly or through a
   proxy saying so in X-Forwarded-Proto). The token itself is never given to JavaScript.
2. Reload: the browser sends the cookie with the WebSocket handshake; the script reads it with
   `st.context.cookies` (public) and restores the user after vigie.sessions.restore's checks.
3. Logout: the session id is revoked in the database first (so the token is dead even if the
   browser keeps it), then the page DELETEs `/_vigie/session`, which expires the cookie.

The route refuses cross-site requests (Sec-Fetch-Site, else Origin against Host), so another site
cannot plant a ticket. Served by plain `streamlit run app.py` (no launcher), the route does not
exist: `ROUTES_MOUNTED` stays False, no script is sent, and login works as before, only not across
reloads. OIDC logins (st.login) are untouched: Streamlit's own cookie already keeps them.
"""

from __future__ import annotations

import json
import logging

import streamlit as st

from vigie import sessions
from vigie.auth import User
from vigie.config import load_settings

log = logging.getLogger(__name__)
ROUTE = "_vigie/session"
ROUTES_MOUNTED = False  # set by routes(), that is when the launcher mounted them in this process


def _base_path() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def routes() -> list:
    """The Starlette route that sets and clears the cookie, for st.App(routes=...)."""
    from starlette.responses import Response
    from starlette.routing import Route

    global ROUTES_MOUNTED
    ROUTES_MOUNTED = True

    def same_origin(request) -> bool:
        site = request.headers.get("sec-fetch-site")
        if site is not None:
            return site == "same-origin"
        origin = request.headers.get("origin")
        return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")

    def cookie_args(request) -> dict:
        https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").startswith("https")
        return {"path": _base_path() or "/", "httponly": True, "samesite": "strict", "secure": https}

    async def session(request):
        if not same_origin(request):
            return Response("cross-site request refused", status_code=403)
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        if request.method == "DELETE":
            response.delete_cookie(sessions.COOKIE_NAME, **cookie_args(request))
            return response
        body = b""
        async for chunk in request.stream():  # a ticket is 32 characters: anything much longer is not one
            body += chunk
            if len(body) > 256:
                return Response("not a ticket", status_code=400)
        taken = sessions.TICKETS.take(body.decode("ascii", "replace").strip())
        if taken is None:
            return Response("unknown or expired ticket", status_code=400)
        token, max_age = taken
        response.set_cookie(sessions.COOKIE_NAME, token, max_age=max_age, **cookie_args(request))
        return response

    return [Route(f"{_base_path()}/{ROUTE}", session, methods=["POST", "DELETE"])]


def _secret() -> bytes:
    return sessions.load_secret(load_settings().home)


def remember(user: User) -> None:
    """After a password login: a new session, whose cookie the next run hands to the browser."""
    try:
        session, token = sessions.issue(_secret(), user, sessions.lifetime_seconds())
    except (OSError, ValueError):
        log.exception("no login cookie: the session secret or lifetime is unusable")
        return
    st.session_state["_session"] = session
    if ROUTES_MOUNTED:
        st.session_state["_cookie_ticket"] = sessions.TICKETS.put(token, session.expires_at)


def restore(users_fn) -> User | None:
    """The user a cookie brought with the page, if it still opens a session (vigie.sessions.restore).
    A refused cookie is remembered for this browser session, so it is checked once, then cleared; one
    that could not be checked (accounts file or database unreadable) is kept for the next visit."""
    token = st.context.cookies.get(sessions.COOKIE_NAME)
    if not token or token == st.session_state.get("_cookie_refused"):
        return None
    from vigie.ui import data

    try:
        restored = sessions.restore(_secret(), token, users_fn(), data.get_store, revoked=data.revoked)
    except Exception:  # noqa: BLE001 - accounts file or database unreadable: no session, cookie kept
        log.exception("login cookie not checked")
        return None
    if restored is None:
        st.session_state["_cookie_refused"] = token
        st.session_state["_cookie_clear"] = True
        return None
    session, user = restored
    st.session_state["_session"] = session
    return user


def forget() -> None:
    """At logout, or when the account no longer opens a session: revoke it, clear the cookie."""
    session = st.session_state.pop("_session", None)
    st.session_state.pop("_cookie_ticket", None)
    if session is not None:
        from vigie.ui import data

        try:
            sessions.revoke(data.get_store(), session)
        except Exception:  # noqa: BLE001 - the cookie is still cleared below
            log.exception("session %s of %s not revoked", session.session_id, session.username)
    token = st.context.cookies.get(sessions.COOKIE_NAME)
    if token:
        st.session_state["_cookie_refused"] = token
    st.session_state["_cookie_clear"] = True


def revoke_account(username: str, reason: str) -> None:
    """AccountStore's on_change: the account's cookies no longer open anything."""
    from vigie.ui import data

    sessions.revoke_account(data.get_store(), username, reason)


def sync() -> None:
    """Once per run (app.py): hand a fresh login's ticket to the browser, or have it drop the cookie."""
    if not ROUTES_MOUNTED:
        return
    url = json.dumps(f"{_base_path()}/{ROUTE}")
    ticket = st.session_state.get("_cookie_ticket")
    if ticket and sessions.TICKETS.pending(ticket):
        body = f"method: 'POST', body: {json.dumps(ticket)}, headers: {{'Content-Type': 'text/plain'}}"
    elif st.session_state.pop("_cookie_clear", False):
        st.session_state.pop("_cookie_ticket", None)
        body = "method: 'DELETE'"
    else:
        st.session_state.pop("_cookie_ticket", None)
        return
    # A ticket is URL-safe base64 and the URL comes from the server's settings: nothing else is inserted.
    st.html(f"<script>fetch({url}, {{{body}, credentials: 'same-origin', cache: 'no-store'}});</script>",
            unsafe_allow_javascript=True)
