"""Command line: `python -m vigie ingest FILE…`, `python -m vigie serve [--demo | --replica]`,
`python -m vigie ingestd`, `python -m vigie hash-password`,
`python -m vigie report --date 2023-01-08 --role observer -o rapport.pdf`.

`ingest` drops files into the inbox. If the server is running it owns the database and will ingest
them within a second; if not, this command processes the inbox itself. It always says which. Over a
shared lake (VIGIE_LAKE_CATALOG) it only drops them: `ingestd` is the one process that ingests.

Beyond one machine: `ingestd` is the one writer (inbox, SMS webhook receiver, pull connectors, alerts,
compaction); `serve --replica` runs app processes that only read and append operators' actions, as many
as the load needs, behind a load balancer with sticky sessions.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from vigie.config import ROOT, load_settings


def cmd_ingest(args: argparse.Namespace) -> int:
    from vigie.ingest.inbox import drop_file, process_inbox
    from vigie.server import open_store
    from vigie.store import DatabaseLocked

    settings = load_settings()
    settings.ensure_dirs()
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"Fichier introuvable : {', '.join(missing)}", file=sys.stderr)
        return 2
    for f in args.files:
        drop_file(settings.inbox, Path(f), args.source)
    if settings.shared:
        print(f"Lac partagé : {len(args.files)} fichier(s) déposé(s) dans la boîte de réception ; "
              "`python -m vigie ingestd` les intègre.")
        return 0
    try:
        store = open_store(settings)
    except DatabaseLocked:
        print(f"Serveur en cours d'exécution : {len(args.files)} fichier(s) déposé(s) dans la boîte de réception ; "
              "le serveur les intègre dans la seconde.")
        return 0
    try:
        results = process_inbox(store, settings, after_each=_demo_hook(settings))
    finally:
        store.close()
    print(f"Aucun serveur en cours : boîte de réception traitée ici ({len(results)} fichier(s)).")
    for r in results:
        print("  " + (r.summary() if not r.error else f"{r.file_name} : ÉCHEC — {r.error}"))
    return 1 if any(r.error for r in results) else 0


def _demo_hook(settings):
    if not settings.demo:
        return None
    from vigie.demo import simulate_operators

    return lambda store, _result: simulate_operators(store)


def cmd_serve(args: argparse.Namespace) -> int:
    """Load the demo scenario (optional), start the replay and Streamlit, stop both on Ctrl-C."""
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    if args.replica:
        # Only Streamlit: ingestd runs the inbox, the receiver and the services for every replica.
        env["VIGIE_REPLICA"] = "1"
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(args.port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        print(f"Vigie (réplique) : http://localhost:{args.port}", flush=True)
        return subprocess.call(cmd, env=env)
    if args.demo:
        env.update({"VIGIE_DEMO": "1", "VIGIE_CLOCK": "data"})
        os.environ.update({"VIGIE_DEMO": "1", "VIGIE_CLOCK": "data"})
        from vigie import demo

        print("Chargement du scénario simulé (Bénin 2023)…", flush=True)
        demo.preload(load_settings())
        children.append(subprocess.Popen([sys.executable, "-m", "vigie", "replay", "--speed", str(args.speed)], env=env))
    secret = _webhook_secret(env)
    children.append(subprocess.Popen([sys.executable, "-m", "vigie.webhook", "--port", str(args.webhook_port)],
                                     env={**env, "VIGIE_WEBHOOK_SECRET": secret}))
    print(f"Récepteur SMS : http://127.0.0.1:{args.webhook_port}/sms/<rapidpro|twilio|africastalking> "
          f"(secret partagé : {'VIGIE_WEBHOOK_SECRET' if env.get('VIGIE_WEBHOOK_SECRET') else 'state/webhook-secret'})",
          flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    streamlit = subprocess.Popen(cmd, env=env)
    children.append(streamlit)
    print(f"Vigie : http://localhost:{args.port}", flush=True)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while streamlit.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return streamlit.returncode or 0


def cmd_ingestd(args: argparse.Namespace) -> int:
    """The one writer over a shared lake: inbox watcher, pull connectors, alerts and compaction in this
    process, the SMS webhook receiver beside it; until SIGTERM or Ctrl-C."""
    import logging

    from vigie.server import open_store, start_background, stop_background

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load_settings()
    store = start_background(open_store(settings), settings)
    print(f"vigie ingestd : {store.backend} ; boîte de réception {settings.inbox}", flush=True)
    children: list[subprocess.Popen] = []
    if args.webhook_port:
        env = dict(os.environ)
        children.append(subprocess.Popen(
            [sys.executable, "-m", "vigie.webhook", "--port", str(args.webhook_port), "--host", args.webhook_host,
             "--inbox", str(settings.inbox)], env={**env, "VIGIE_WEBHOOK_SECRET": _webhook_secret(env)}))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        stop_background(store)
        store.close()
    return 0


def _webhook_secret(env: dict) -> str:
    """The SMS gateways' shared secret: from the environment, else one generated once per state folder."""
    if env.get("VIGIE_WEBHOOK_SECRET"):
        return env["VIGIE_WEBHOOK_SECRET"]
    from vigie.config import state_secret

    return state_secret(load_settings().home, "webhook-secret", "VIGIE_WEBHOOK_SECRET")


def cmd_replay(args: argparse.Namespace) -> int:
    from vigie import demo

    demo.replay(load_settings(), speed=args.speed)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The daily situation report as a PDF. It needs the database: DuckDB lets one process open the file
    (even read-only, not beside a writer), so while the server runs it says so and points to the Rapport page."""
    import datetime as dt

    from vigie import report
    from vigie.store import DatabaseLocked, Store

    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"Date illisible : {args.date!r} (attendu AAAA-MM-JJ, ex. 2023-01-08)", file=sys.stderr)
        return 2
    settings = load_settings()
    if not settings.shared and not settings.db_path.exists():
        print(f"Aucune base de données dans {settings.home.name}/ : rien à rapporter (VIGIE_HOME ?)", file=sys.stderr)
        return 2
    try:
        # Over a shared lake it reads like a replica, beside the running daemon.
        store = Store.open(settings, replica=settings.shared)
    except DatabaseLocked:
        print("Le serveur Vigie est en cours d'exécution et détient la base de données (DuckDB n'admet qu'un "
              "processus) : téléchargez le rapport depuis la page Rapport de l'application, ou arrêtez le serveur "
              "puis relancez cette commande.", file=sys.stderr)
        return 3
    try:
        pdf = report.make_pdf(store, args.role, day, args.lang)
    except report.ReportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        store.close()
    out = Path(args.output or report.file_name(day, args.role, args.lang))
    out.write_bytes(pdf)
    print(f"Rapport du {day:%d/%m/%Y} ({args.role}, {args.lang}) écrit dans {out} ({len(pdf) // 1024} Ko).")
    return 0


def cmd_hash_password(_args: argparse.Namespace) -> int:
    from vigie.auth import hash_password

    password = getpass.getpass("Mot de passe : ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    print(hash_password(password))
    return 0


def main(argv: list[str] | None = None) -> int:
    from vigie.store import ROLES

    parser = argparse.ArgumentParser(prog="vigie", description="Vigie — salle de situation électorale")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="déposer des fichiers de flux dans la boîte de réception")
    p.add_argument("files", nargs="+")
    p.add_argument("--source", help="canal par défaut des enregistrements qui n'en indiquent pas (ex. sms)")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("serve", help="lancer le serveur (et le scénario de démonstration avec --demo)")
    p.add_argument("--demo", action="store_true")
    p.add_argument("--replica", action="store_true",
                   help="réplique de l'application sur un lac partagé (lecture ; `vigie ingestd` écrit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--webhook-port", type=int, default=8502)
    p.add_argument("--speed", type=float, default=1800.0, help="accélération du rejeu (secondes simulées par seconde)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("ingestd", help="l'unique écrivain d'un lac partagé : boîte de réception, SMS, "
                                        "connecteurs, alertes, compactage")
    p.add_argument("--webhook-port", type=int, default=8502, help="récepteur SMS (0 : aucun)")
    p.add_argument("--webhook-host", default="127.0.0.1")
    p.set_defaults(func=cmd_ingestd)
    p = sub.add_parser("replay", help="rejouer le scénario simulé dans la boîte de réception")
    p.add_argument("--speed", type=float, default=1800.0)
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("report", help="écrire le rapport de situation quotidien (PDF) d'un jour, pour un rôle")
    p.add_argument("--date", required=True, help="jour du rapport, AAAA-MM-JJ (heure locale du pack pays)")
    p.add_argument("--role", required=True, choices=ROLES,
                   help="ce que le rapport contient : ce que ce rôle peut voir")
    p.add_argument("--lang", default="fr", choices=["fr", "en"])
    p.add_argument("-o", "--output", help="fichier PDF (défaut : vigie-rapport-<date>-<rôle>-<langue>.pdf)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("hash-password", help="calculer le hachage d'un mot de passe pour le fichier des comptes")
    p.set_defaults(func=cmd_hash_password)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
