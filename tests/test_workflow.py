"""Triage actions through the audit trail: transitions, publication, concurrency, merge and split."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings
from tests.fixture_data import build_fixture_state
from vigie.auth import User
from vigie.store import Store
from vigie.workflow import ConcurrentChange, Workflow, WorkflowError

OP = User("op1", "Opératrice 1", "operator", "")
OP2 = User("op2", "Opérateur 2", "operator", "")


@pytest.fixture
def wf(tmp_path):
    settings = make_settings(tmp_path / "state")
    build_fixture_state(settings)
    store = Store.open(settings)
    yield Workflow(store)
    store.close()


def new_incident(wf: Workflow) -> int:
    return wf.store.raw_cursor().execute(
        "select incident_id from main.incident_state where status = 'nouveau' order by incident_id limit 1").fetchone()[0]


def visible_to_journalist(wf: Workflow, incident_id: int) -> bool:
    return bool(wf.store.cursor("journalist").execute(
        "select count(*) from incidents where incident_id = $i", {"i": incident_id}).fetchone()[0])


def test_verify_publishes_and_hold_back_unpublishes(wf):
    i = new_incident(wf)
    assert not visible_to_journalist(wf, i)
    wf.set_status(OP, {i: wf.states([i])[i].version}, "verifie", "confirmé par la police")
    assert visible_to_journalist(wf, i)
    wf.set_field(OP, i, wf.states([i])[i].version, "held", "true", "protection d'un témoin")
    assert not visible_to_journalist(wf, i)
    history = wf.store.cursor("operator").execute(
        "select actor, field, from_value, to_value, reason from status_events where incident_id = $i order by event_id",
        {"i": i}).fetchall()
    assert history == [("op1", "status", "nouveau", "verifie", "confirmé par la police"),
                       ("op1", "held", "false", "true", "protection d'un témoin")]


def test_impossible_transition_is_refused(wf):
    i = new_incident(wf)
    wf.set_status(OP, {i: wf.states([i])[i].version}, "faux", "démenti")
    with pytest.raises(WorkflowError, match="impossible"):
        wf.set_status(OP, {i: wf.states([i])[i].version}, "transmis")


def test_second_operator_gets_a_clear_message_instead_of_overwriting(wf):
    i = new_incident(wf)
    seen = wf.states([i])[i].version  # both operators load the incident
    wf.set_status(OP, {i: seen}, "verifie")
    with pytest.raises(ConcurrentChange, match="op1"):
        wf.set_status(OP2, {i: seen}, "faux")
    assert wf.states([i])[i].status == "verifie"


def test_batch_is_all_or_nothing(wf):
    ids = [r[0] for r in wf.store.raw_cursor().execute(
        "select incident_id from main.incident_state where status = 'nouveau' order by incident_id limit 3").fetchall()]
    expected = {i: wf.states([i])[i].version for i in ids}
    expected[ids[-1]] -= 1  # one of them is stale
    with pytest.raises(ConcurrentChange):
        wf.set_status(OP, expected, "verifie")
    assert all(s.status == "nouveau" for s in wf.states(ids).values())


def test_escalate_then_resolve_gives_resolution_times(wf):
    i = new_incident(wf)
    wf.set_status(OP, {i: wf.states([i])[i].version}, "verifie")
    with pytest.raises(WorkflowError):
        wf.escalate(OP, i, wf.states([i])[i].version, "  ")
    wf.escalate(OP, i, wf.states([i])[i].version, "Commissariat central de Cotonou")
    wf.set_status(OP, {i: wf.states([i])[i].version}, "clos")
    row = wf.store.cursor("operator").execute(
        "select status, assigned_unit, escalated_at, resolved_at from incidents where incident_id = $i", {"i": i}).fetchone()
    assert row[0] == "clos" and row[1] == "Commissariat central de Cotonou" and row[3] >= row[2]
    journalist = wf.store.cursor("journalist").execute(
        "select assigned_unit from incidents where incident_id = $i", {"i": i}).fetchone()
    assert journalist == (None,)  # units dispatched are not for the press


def test_merge_moves_reports_and_split_takes_one_out(wf):
    a, b = [r[0] for r in wf.store.raw_cursor().execute(
        "select incident_id from main.incident_state where status = 'nouveau' order by incident_id limit 2").fetchall()]
    versions = {k: v.version for k, v in wf.states([a, b]).items()}
    wf.merge(OP, a, versions, "même affrontement")
    ops = wf.store.cursor("operator")
    assert ops.execute("select count(*) from reports where incident_id = $a", {"a": a}).fetchone()[0] == 2
    assert wf.states([b])[b].status == "doublon"
    report = ops.execute("select max(report_id) from reports where incident_id = $a", {"a": a}).fetchone()[0]
    new = wf.split(OP, report, "deux événements distincts")
    assert ops.execute("select count(*) from reports where incident_id = $a", {"a": a}).fetchone()[0] == 1
    assert ops.execute("select count(*) from reports where incident_id = $n", {"n": new}).fetchone()[0] == 1
    with pytest.raises(WorkflowError):
        wf.split(OP, report)  # alone in its incident now
    counts = dict(wf.store.raw_cursor().execute(
        "select incident_id, n_reports from main.incident_current where incident_id in ($a, $b, $n)",
        {"a": a, "b": b, "n": new}).fetchall())
    assert counts == {a: 1, b: 0, new: 1}
    assert_current_is_live(wf.store)


def assert_current_is_live(store) -> None:
    """The cached state (refreshed incident by incident after each write) equals the definition."""
    cur = store.raw_cursor()
    extra = cur.execute("select * from main.incident_current except select * from main.incident_state_live").fetchall()
    missing = cur.execute("select * from main.incident_state_live except select * from main.incident_current").fetchall()
    assert (extra, missing) == ([], []), f"cached only: {extra[:3]}; defined only: {missing[:3]}"


def test_current_state_follows_ingest_events_and_moves(wf):
    """Reports joining an existing incident at ingest change its corroboration counts too."""
    from vigie.ingest.inbox import drop_bytes, process_inbox

    store = wf.store
    before = store.raw_cursor().execute(
        "select incident_id, n_reports, n_sources, commune_code, category, occurred_local, title "
        "from main.incident_current where n_reports = 1 and category is not null and commune_code is not null "
        "order by incident_id limit 1").fetchone()
    incident_id, n_reports, n_sources, commune, category, local, title = before
    commune_name = store.raw_cursor().execute(
        "select commune from main.communes where commune_code = $c", {"c": commune}).fetchone()[0]
    csv = ("source;date;commune;categorie;description\n"
           f"temoin_test;{local:%d/%m/%Y %H:%M};{commune_name};{category};{title}\n").encode()
    drop_bytes(store.settings.inbox, csv, "corroboration.csv")
    [result] = process_inbox(store, store.settings)
    assert result.accepted == 1
    after = store.raw_cursor().execute(
        "select n_reports, n_sources from main.incident_current where incident_id = $i", {"i": incident_id}).fetchone()
    assert after == (n_reports + 1, n_sources + 1)
    wf.set_status(OP, {incident_id: wf.states([incident_id])[incident_id].version}, "verifie")
    assert_current_is_live(store)


def test_locating_an_incident_and_notes_stay_internal(wf):
    i = new_incident(wf)
    wf.set_field(OP, i, wf.states([i])[i].version, "commune_code", "0801", "appel du témoin")
    assert wf.states([i])[i].commune_code == "0801"
    with pytest.raises(WorkflowError):
        wf.set_field(OP, i, wf.states([i])[i].version, "commune_code", "9999")
    wf.note(OP, i, "Source policière à rappeler")
    observer = wf.store.cursor("observer").execute(
        "select count(*) from status_events where incident_id = $i and field = 'note'", {"i": i}).fetchone()[0]
    assert observer == 0


@pytest.mark.parametrize("role", ["observer", "journalist"])
def test_only_operators_act(wf, role):
    i = new_incident(wf)
    user = User("x", "X", role, "")
    with pytest.raises(PermissionError):
        wf.set_status(user, {i: wf.states([i])[i].version}, "verifie")
    with pytest.raises(PermissionError):
        wf.note(user, i, "tentative")


def test_batch_archive_and_mark_duplicates_of_one(wf):
    ids = [r[0] for r in wf.store.raw_cursor().execute(
        "select incident_id from main.incident_state where status = 'nouveau' order by incident_id limit 4").fetchall()]
    states = wf.states(ids)
    wf.set_status(OP, {ids[0]: states[ids[0]].version}, "clos", "hors sujet")
    assert wf.states([ids[0]])[ids[0]].status == "clos"
    target, rest = ids[1], ids[2:]
    expected = {i: s.version for i, s in wf.states([target, *rest]).items()}
    wf.merge(OP, target, expected, "même événement")
    after = wf.states(rest)
    assert all(s.status == "doublon" for s in after.values())
    n = wf.store.cursor("operator").execute(
        "select count(*) from reports where incident_id = $t", {"t": target}).fetchone()[0]
    assert n == 3
