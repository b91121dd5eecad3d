"""Inspector page: locate a facility, measure, see failing clauses live, add photos, submit.

Thin page: widgets → :func:`audit.inspect.save_audit` (and :func:`audit.photos.store_photo`,
:func:`audit.io.odk_import.import_odk`) → render. Session state holds ids and plain values only.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from audit.actors import SYSTEM
from audit.errors import AuditError, ConflictError, InputError, NotFoundError
from audit.inspect import (
    CRS_CHOICES,
    AuditRequest,
    DuplicateFacility,
    find_duplicates,
    gps_needs_confirmation,
    parse_pasted_coordinates,
    save_audit,
)
from audit.model import FACILITY_TYPES, schema
from audit.reaudit import FacilityState, current_state, preview_combined
from audit.settings import get_settings
from ui import cache, state
from ui import drafts as draft_ui
from ui.assets import localise
from ui.auth import require_role
from ui.chrome import photo_limit_mb
from ui.errors import error_text, log_error, show_error
from ui.i18n import current_language, pick, t
from ui.inspect_form import (
    GpsFix,
    browser_geolocation,
    evaluation_panel,
    geolocation_available,
    history_panel,
    measurement_inputs,
    parse_gps_result,
    previous_texts,
    rejected_rows,
    suspect_rows,
)
from ui.map import YANGJIANG_CENTRE, build_map, facility_type_label, verdict_label
from ui.place_search import place_search
from ui.plaintext import md_text
from ui.timefmt import local_time
from ui.widgets import progress_while

if TYPE_CHECKING:
    from audit.drafts import DraftRecord
    from audit.storage.repository import Repository

FORM_ID = "insp_form_id"
LOCATION = "insp_location"
FACILITY = "insp_facility_id"
FACILITY_VERSION = "insp_facility_version"
DRAFT = "insp_draft"
ALLOW_DUP = "insp_allow_duplicate"
LAST_CLICK = "insp_last_click"
RESULT = "insp_result"
GPS_REQUEST = "insp_gps_request"  # int: browser GPS readings asked for
GPS_DONE = "insp_gps_done"  # int: last reading answered
GPS_MESSAGE = "insp_gps_message"  # catalogue key of the last GPS problem, or None
INITIAL = "insp_initial"  # {form id: measurements} of a resumed automatic draft
MAP_ZOOM = 15
MAP_HEIGHT_PX = 420
PHOTO_TYPES = ["jpg", "jpeg", "png", "heic", "heif"]


def _init() -> None:
    st.session_state.setdefault(FORM_ID, uuid.uuid4().hex)
    for key in (LOCATION, FACILITY, FACILITY_VERSION, DRAFT, LAST_CLICK, RESULT):
        st.session_state.setdefault(key, None)
    st.session_state.setdefault(ALLOW_DUP, False)
    st.session_state.setdefault(GPS_REQUEST, 0)
    st.session_state.setdefault(GPS_DONE, 0)
    st.session_state.setdefault(GPS_MESSAGE, None)


def _new_form() -> None:
    """Start a fresh form instance (new idempotency key, empty widgets)."""
    st.session_state[FORM_ID] = uuid.uuid4().hex
    for key in (LOCATION, FACILITY, FACILITY_VERSION, DRAFT, LAST_CLICK):
        st.session_state[key] = None
    st.session_state[ALLOW_DUP] = False


def _start_reaudit(facility_id: int) -> None:
    detail = cache.facility_detail(facility_id)
    st.session_state[FACILITY] = facility_id
    st.session_state[FACILITY_VERSION] = int(detail["facility"]["version"])


def _resume(draft: DraftRecord) -> None:
    """Fill a fresh form from an automatic draft (its content was cleaned by the library) and
    keep saving into the same draft."""
    _new_form()
    form = draft.form_key
    content = draft.content
    st.session_state[FORM_ID] = form
    st.session_state[LOCATION] = content.get("location")
    st.session_state[INITIAL] = {form: dict(content.get("measurements") or {})}
    if draft.facility_id is not None:
        try:
            cache.facility_detail(int(draft.facility_id))
        except (NotFoundError, AuditError):
            st.session_state[draft_ui.RESUMED_KEY] = t("drafts.facility_gone")
        else:
            st.session_state[FACILITY] = draft.facility_id
            st.session_state[FACILITY_VERSION] = content.get("facility_version")
            if content.get("draft_audit_id") and content.get("draft_row_version"):
                st.session_state[DRAFT] = {"audit_id": content["draft_audit_id"],
                                           "row_version": content["draft_row_version"]}
    st.session_state["insp_type"] = draft.facility_type
    for name in ("name", "address", "notes"):
        if content.get(name):
            st.session_state[f"insp_{name}:{form}"] = content[name]


def _set_location(lon: float, lat: float, source: str, accuracy: float | None = None) -> None:
    st.session_state[LOCATION] = {"lon": lon, "lat": lat, "source": source, "accuracy": accuracy}
    st.session_state[ALLOW_DUP] = False


def _location_map(facility_type: str) -> None:
    """Tap the map to place the facility (st_folium's last_clicked)."""
    loc = st.session_state[LOCATION]
    lang = current_language()
    jump = place_search("insp")
    if jump is None:
        centre = (loc["lat"], loc["lon"]) if loc else YANGJIANG_CENTRE
        jump = {"center": list(centre), "zoom": MAP_ZOOM}
    settings = get_settings()
    layers: dict[str, Any] = {
        "lang": lang, "districts": cache.districts(), "network_edges": cache.network_layer(),
        "labels": cache.basemap_labels(lang), "view": jump,
    }
    frame = cache.facility_frame((facility_type,))
    try:
        fmap = build_map(frame, tiles=settings.tiles, tianditu_key=settings.tianditu_key,
                         **layers)
    except AuditError:
        fmap = build_map(frame, tiles="none", **layers)
    if loc:
        folium.Marker((loc["lat"], loc["lon"]), tooltip=t("inspect.loc.chosen")).add_to(fmap)
    localise(fmap)
    result = st_folium(fmap, key="insp_map", height=MAP_HEIGHT_PX, use_container_width=True,
                       render=False,  # rendered once: see ui/pages/map.py
                       returned_objects=["last_clicked"])
    clicked = (result or {}).get("last_clicked")
    if clicked and clicked != st.session_state[LAST_CLICK]:
        st.session_state[LAST_CLICK] = clicked
        _set_location(float(clicked["lng"]), float(clicked["lat"]), "map")
        st.rerun()


def _location_typed() -> None:
    cols = st.columns([3, 1, 1])
    text = cols[0].text_input(t("inspect.loc.paste"), key="insp_coords",
                              placeholder="111.98000, 21.86000")
    crs = cols[1].selectbox(t("inspect.loc.crs"), CRS_CHOICES, key="insp_crs",
                            format_func=lambda c: t(f"inspect.crs.{c}"))
    if cols[2].button(t("inspect.loc.use"), key="insp_use_coords"):
        try:
            lon, lat = parse_pasted_coordinates(text, crs)
        except InputError as exc:
            _problems(exc)
            return
        _set_location(lon, lat, "typed")


def _location_gps() -> None:
    """The device's GPS through the browser (accuracy shown), with a typed fallback."""
    live = geolocation_available()
    if live:
        st.caption(t("inspect.gps.help_live"))
        if st.button(t("inspect.gps.get"), key="insp_gps_get", type="primary"):
            st.session_state[GPS_REQUEST] += 1
            st.session_state[GPS_MESSAGE] = None
        request = st.session_state[GPS_REQUEST]
        if request > st.session_state[GPS_DONE]:
            st.caption(t("inspect.gps.waiting"))
            value = browser_geolocation(request)
            if value is not None:
                st.session_state[GPS_DONE] = request
                fix = parse_gps_result(value)
                if isinstance(fix, GpsFix):
                    _set_location(fix.lon, fix.lat, "gps", fix.accuracy_m)
                else:
                    st.session_state[GPS_MESSAGE] = fix
                st.rerun()
        if st.session_state[GPS_MESSAGE]:
            st.error(t(st.session_state[GPS_MESSAGE]))
    else:
        st.caption(t("inspect.gps.no_component"))
    with st.expander(t("inspect.gps.typed"), expanded=not live):
        _location_gps_typed()


def _location_gps_typed() -> None:
    st.caption(t("inspect.loc.gps_help"))
    cols = st.columns([3, 1, 1])
    text = cols[0].text_input(t("inspect.loc.gps_coords"), key="insp_gps_coords")
    accuracy = cols[1].number_input(t("inspect.loc.accuracy"), min_value=0.0, value=None,
                                    key="insp_gps_acc")
    if cols[2].button(t("inspect.loc.use"), key="insp_use_gps"):
        try:
            lon, lat = parse_pasted_coordinates(text, "wgs84")
        except InputError as exc:
            _problems(exc)
            return
        _set_location(lon, lat, "gps", accuracy)


def _problems(exc: InputError) -> None:
    show_error(exc, heading_key="inspect.error.input")


def _duplicates(facility_type: str) -> bool:
    """Offer a re-audit of a nearby facility of the same type; True when the form may proceed."""
    loc = st.session_state[LOCATION]
    if loc is None or st.session_state[ALLOW_DUP]:
        return True
    with cache.unit_of_work(SYSTEM) as repo:
        near = find_duplicates(repo, facility_type, loc["lon"], loc["lat"])
    if not near:
        return True
    lang = current_language()
    st.warning(t("inspect.dup.found", n=len(near), radius=f"{get_settings().duplicate_radius_m:g}"))
    for fac, dist in near:
        label = t("inspect.dup.reaudit", id=fac.id, name=fac.name or
                  facility_type_label(fac.facility_type, lang), dist=f"{dist:.0f}")
        if st.button(label, key=f"insp_dup_{fac.id}"):
            _start_reaudit(fac.id)
            st.rerun()
    if st.button(t("inspect.dup.different"), key="insp_dup_new"):
        st.session_state[ALLOW_DUP] = True
        st.rerun()
    return False


def _store_photos(repo: Repository, files: list[Any]) -> list[int]:
    from audit.photos import store_photo

    return [store_photo(repo, f, field=f.name) for f in files]


def _save(actor: Any, facility_type: str, raw: dict[str, Any], notes: str, name: str,
          address: str, files: list[Any], status: str, gps_ok: bool,
          reaudit: ReauditChoice | None = None) -> None:
    loc = st.session_state[LOCATION] or {}
    draft = st.session_state[DRAFT]
    network = _network()
    try:
        # one unit of work: the photos and the audit are saved together, or neither
        with cache.unit_of_work(actor, write=True) as repo:
            photo_ids = _store_photos(repo, files)
            request = AuditRequest(
                facility_type=facility_type,
                measurements={k: v for k, v in raw.items() if v is not None},
                facility_id=st.session_state[FACILITY],
                lon=loc.get("lon"), lat=loc.get("lat"),
                location_source=loc.get("source", "map"),
                gps_accuracy_m=loc.get("accuracy"), gps_confirmed=gps_ok,
                name=name, address=address, notes=notes, status=status,  # type: ignore[arg-type]
                idempotency_key=f"{st.session_state[FORM_ID]}:{status}" if not draft else None,
                expected_facility_version=st.session_state[FACILITY_VERSION],
                draft_audit_id=draft["audit_id"] if draft else None,
                draft_row_version=draft["row_version"] if draft else None,
                photo_ids=photo_ids, allow_duplicate=bool(st.session_state[ALLOW_DUP]),
                full_audit=reaudit.full if reaudit else False,
                discard=reaudit.discard if reaudit else (),
                draft_key=st.session_state[FORM_ID],  # a submitted audit deletes its draft
            )
            result = save_audit(repo, request, network=network)
    except DuplicateFacility:
        st.session_state[ALLOW_DUP] = False
        st.warning(t("inspect.dup.on_save"))
        return
    except ConflictError as exc:
        log_error(exc)
        st.error(t("inspect.error.conflict", detail=error_text(exc)))
        return
    except InputError as exc:
        _problems(exc)
        return
    except (NotFoundError, AuditError, OSError) as exc:
        show_error(exc)
        return
    cache.facility_frame.clear()
    cache.facility_detail.clear()
    state.keep_facility(result.facility.id)  # the map page shows it selected
    lang = current_language()
    st.session_state[RESULT] = {
        "audit_id": result.audit.id, "facility_id": result.facility.id,
        "status": result.audit.status, "verdict": verdict_label(str(result.audit.verdict), lang),
        "sequence": result.audit.sequence, "replayed": result.replayed,
        "carried": len(result.audit.measured_from), "dropped": sorted(result.dropped),
        "facility_type": facility_type,
    }
    draft_ui.forget_saved(st.session_state[FORM_ID])
    if status == "draft":
        st.session_state[DRAFT] = {"audit_id": result.audit.id,
                                   "row_version": result.audit.row_version}
        st.session_state[FACILITY] = result.facility.id
        st.session_state[FACILITY_VERSION] = result.facility.version
    else:
        _new_form()
    st.rerun()


def _network() -> Any:
    try:
        return cache.network()
    except (AuditError, OSError, ValueError):
        return None


def _import_section(actor: Any) -> None:
    from audit.io.odk_import import ImportRejected, import_odk

    with st.expander(t("inspect.import.heading")):
        from audit.io.xlsform import xlsform_bytes

        st.download_button(t("work.download.xlsform"), lambda: xlsform_bytes(),
                           file_name="yangjiang_a11y_xlsform.xlsx", key="insp_xlsform",
                           help=t("work.download.xlsform_help"), on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument"
                                ".spreadsheetml.sheet")
        st.caption(t("inspect.import.help"))
        export = st.file_uploader(t("inspect.import.file"), type=["csv", "json"],
                                  key="insp_odk_file")
        zip_file = st.file_uploader(t("inspect.import.zip"), type=["zip"], key="insp_odk_zip")
        crs = st.selectbox(t("inspect.loc.crs"), CRS_CHOICES, key="insp_odk_crs",
                           format_func=lambda c: t(f"inspect.crs.{c}"))
        if not st.button(t("inspect.import.run"), key="insp_odk_run", disabled=export is None):
            return
        assert export is not None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(export.name).name
            path.write_bytes(export.getvalue())
            zpath = None
            if zip_file is not None:
                zpath = Path(tmp) / "attachments.zip"
                zpath.write_bytes(zip_file.getvalue())
            network = _network()
            try:
                with (progress_while(t("inspect.import.progress")) as progress,
                      cache.unit_of_work(actor, write=True) as repo):
                    report = import_odk(
                        repo, path, attachments=zpath, crs=crs, network=network,
                        progress=progress,
                    )
            except ImportRejected as exc:
                st.error(t("inspect.import.rejected", n=len({r.row for r in exc.rows})))
                log_error(exc)
                st.dataframe(rejected_rows(exc.rows, current_language()), hide_index=True)
                return
            except (InputError, AuditError) as exc:
                show_error(exc)
                return
        cache.facility_frame.clear()
        st.success(t("inspect.import.done", imported=report.imported,
                     created=report.created_facilities, reaudits=report.reaudits,
                     photos=report.photos, skipped=report.already_imported))
        if report.suspect:
            st.warning(t("inspect.import.suspect", n=len({r.row for r in report.suspect})))
            st.dataframe(suspect_rows(report.suspect, current_language()), hide_index=True)


def main() -> None:
    actor = require_role("inspector", "admin")
    _init()
    lang = current_language()
    st.title(t("inspect.title"))
    done = st.session_state[RESULT]
    if done:
        key = "inspect.saved.replayed" if done["replayed"] else f"inspect.saved.{done['status']}"
        st.success(t(key, id=done["audit_id"], facility=done["facility_id"],
                     verdict=done["verdict"], version=done["sequence"]))
        if done.get("carried"):
            st.caption(t("work.reaudit.saved_carried", n=done["carried"]))
        if done.get("dropped"):
            fields = schema(done["facility_type"])
            st.warning(t("work.reaudit.saved_dropped", fields=pick(lang, "、", ", ").join(
                pick(lang, fields[n].label_zh, fields[n].label_en) for n in done["dropped"]
                if n in fields)))
    with st.container():  # one slot whatever it holds: the form below keeps its place
        chosen = draft_ui.draft_list(actor, st.session_state[FORM_ID])
    if chosen is not None:
        _resume(chosen)
        st.rerun()
    facility_id = st.session_state[FACILITY]
    selected = state.kept_facility()  # picked on the map page (kept across pages)
    if facility_id is None and selected and st.button(
            t("inspect.reaudit_selected", id=selected), key="insp_reaudit_sel"):
        _start_reaudit(int(selected))
        st.rerun()
    form = st.session_state[FORM_ID]
    if facility_id is not None:
        detail = cache.facility_detail(int(facility_id))
        fac = detail["facility"]
        facility_type = str(fac["facility_type"])
        st.info(t("inspect.reauditing", id=facility_id, name=md_text(fac.get("name")) or "—",
                  type=facility_type_label(facility_type, lang)))
        if st.button(t("inspect.new_facility"), key="insp_cancel_reaudit"):
            _new_form()
            st.rerun()
    else:
        facility_type = st.selectbox(t("inspect.type"), FACILITY_TYPES, key="insp_type",
                                     format_func=lambda c: facility_type_label(c, lang))
        st.markdown(f"#### {t('inspect.loc.heading')}")
        mode = st.radio(t("inspect.loc.mode"), ["map", "typed", "gps"], horizontal=True,
                        key="insp_loc_mode", format_func=lambda m: t(f"inspect.loc.{m}"))
        if mode == "map":
            _location_map(facility_type)
        elif mode == "typed":
            _location_typed()
        else:
            _location_gps()
        loc = st.session_state[LOCATION]
        if loc:
            acc = "" if loc["accuracy"] is None else t("inspect.loc.acc_shown",
                                                      acc=f"{loc['accuracy']:.0f}")
            st.markdown(t("inspect.loc.current", lon=f"{loc['lon']:.6f}",
                          lat=f"{loc['lat']:.6f}") + acc)
        else:
            st.caption(t("inspect.loc.none"))
        if not _duplicates(facility_type):
            return
    gps_ok = False
    loc = st.session_state[LOCATION]
    if facility_id is None and loc and loc["source"] == "gps" and gps_needs_confirmation(
            loc["accuracy"]):
        st.warning(t("inspect.loc.poor_gps", limit=f"{get_settings().gps_accuracy_limit_m:g}"))
        gps_ok = st.checkbox(t("inspect.loc.confirm_gps"), key=f"insp_gps_ok:{form}")
    name = address = ""
    if facility_id is None:
        cols = st.columns(2)
        name = cols[0].text_input(t("inspect.name"), key=f"insp_name:{form}")
        address = cols[1].text_input(t("inspect.address"), key=f"insp_address:{form}")
    st.markdown(f"#### {t('inspect.measurements')}")
    previous = _current_state(int(facility_id)) if facility_id is not None else None
    reaudit = _reaudit_choice(previous, form)
    left, right = st.columns([3, 2])
    with left:
        compact = st.empty()  # the one-line live verdict, kept in view on a phone
        raw, problems = measurement_inputs(
            facility_type, form, initial=(st.session_state.get(INITIAL) or {}).get(form),
            previous=previous_texts(previous) if reaudit and not reaudit.full else None)
        notes = st.text_area(t("inspect.notes"), key=f"insp_notes:{form}")
        files = st.file_uploader(t("inspect.photos"), type=PHOTO_TYPES,
                                 accept_multiple_files=True, key=f"insp_photos:{form}",
                                 max_upload_size=photo_limit_mb())
        if st.toggle(t("inspect.camera"), key=f"insp_cam_on:{form}"):
            shot = st.camera_input(t("inspect.camera"), key=f"insp_cam:{form}")
            if shot is not None:
                files = [*(files or []), shot]
    with right:
        scored = raw
        if reaudit is not None:  # the verdict the facility will have: new values over the old
            scored = preview_combined(previous, facility_type, raw, full=reaudit.full,
                                      discard=reaudit.discard).measurements
            st.caption(t("work.reaudit.live_combined" if not reaudit.full
                         else "work.reaudit.live_full"))
        evaluation_panel(facility_type, scored, compact)
    if facility_id is not None:  # what was found before, read before submitting
        history_panel(facility_type, _history(int(facility_id)))
    cols = st.columns(2)
    blocked = bool(problems)
    files_list = list(files or [])
    if cols[0].button(t("inspect.save_draft"), key=f"insp_draft_btn:{form}", disabled=blocked):
        _save(actor, facility_type, raw, notes, name, address, files_list, "draft", gps_ok,
              reaudit)
    if cols[1].button(t("inspect.submit"), key=f"insp_submit_btn:{form}", type="primary",
                      disabled=blocked):
        _save(actor, facility_type, raw, notes, name, address, files_list, "submitted",
              gps_ok, reaudit)
    if blocked:  # unconfirmed unit slips only: ask to confirm or correct, not to "fix the red"
        only_suspect = all(p.code == "suspect" for p in problems)
        st.caption(t("inspect.confirm_first" if only_suspect else "inspect.fix_first"))
    _autosave(actor, facility_type, raw, notes, name, address)
    _import_section(actor)


def _autosave(actor: Any, facility_type: str, raw: dict[str, Any], notes: str, name: str,
              address: str) -> None:
    """Keep what is typed so far as the inspector's automatic draft (issue 17 item 4)."""
    facility_id = st.session_state[FACILITY]
    draft = st.session_state[DRAFT] or {}
    content = {
        "measurements": {k: v for k, v in raw.items() if v is not None},
        "notes": notes, "name": name, "address": address,
        "location": st.session_state[LOCATION],
        "facility_version": st.session_state[FACILITY_VERSION],
        "draft_audit_id": draft.get("audit_id"), "draft_row_version": draft.get("row_version"),
    }
    title = name or address
    if not title and facility_id is not None:
        title = str(cache.facility_detail(int(facility_id))["facility"].get("name") or "")
    draft_ui.autosave(actor, st.session_state[FORM_ID], facility_type, facility_id, content,
                      title)


@dataclass(frozen=True)
class ReauditChoice:
    """How a re-audit combines with the facility's current state (audit.reaudit)."""

    full: bool
    discard: tuple[str, ...]


def _current_state(facility_id: int) -> FacilityState | None:
    with cache.unit_of_work(SYSTEM) as repo:
        return current_state(repo, facility_id)


def _reaudit_choice(state: FacilityState | None, form: str) -> ReauditChoice | None:
    """For a re-audit: explain that empty fields keep their last measurement, offer a full
    audit and discarding old values; ``None`` when there is nothing to combine with."""
    if state is None:
        return None
    lang = current_language()
    st.info(t("work.reaudit.explain", date=local_time(state.submitted_at),
              version=state.sequence))
    full = st.checkbox(t("work.reaudit.full"), key=f"insp_full:{form}",
                       help=t("work.reaudit.full_help"))
    discard: list[str] = []
    if not full:
        fields = schema(state.facility_type)
        names = [n for n in fields if n in state.fields]
        discard = st.multiselect(
            t("work.reaudit.discard"), names, key=f"insp_discard:{form}",
            format_func=lambda n: pick(lang, fields[n].label_zh, fields[n].label_en),
            placeholder=t("work.reaudit.discard_none"), help=t("work.reaudit.discard_help"))
    return ReauditChoice(full, tuple(discard))


def _history(facility_id: int) -> list[dict[str, Any]]:
    from audit.inspect import facility_history

    with cache.unit_of_work(SYSTEM) as repo:
        history = facility_history(repo, facility_id)
    return [
        {"sequence": a.sequence, "submitted_at": a.submitted_at, "inspector_name":
         a.inspector_name, "verdict": a.verdict, "source": a.source,
         "measurements": a.measurements, "notes": a.notes, "evaluation": a.evaluation}
        for a in history
    ]


main()
