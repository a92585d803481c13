"""Maps of a plan: an interactive folium map (map.html) and static PNG maps.

Maps take a :class:`Plan` and the Estate's geography only; they never see the solver.
map.html is one self-contained file: Leaflet's JavaScript, CSS and icons are inlined from the
copy shipped in ``estate_opt/outputs/assets/leaflet`` (BSD-2), so it opens offline; the OpenStreetMap
background is an optional layer, off by default, fetched only if the reader turns it on.
Every name that reaches HTML is escaped.
"""

from __future__ import annotations

import base64
import html
import re
from importlib import resources

import numpy as np
import pandas as pd
from pyproj import Transformer

DECISION_COLOURS = {"retain": "#1a9850", "dispose": "#d73027"}
OWNER_COLOURS = {"council": "#35978f", "nhs": "#005eb8", "police": "#1d1d5b", "fire": "#e66101",
                 "central_government": "#6a3d9a", "education": "#b8860b", "other": "#666666"}
MOVE_COLOUR = "#7b3294"
CHANGE_STEPS = [-10, -5, -1, 1, 5, 10]  # minutes: class breaks of the travel-change shading
CHANGE_COLOURS = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _lonlat(df: pd.DataFrame) -> pd.DataFrame:
    lon, lat = _TO_WGS84.transform(df.easting.to_numpy(float), df.northing.to_numpy(float))
    return df.assign(lon=lon, lat=lat)


def _money(v: float) -> str:
    return f"£{v:,.0f}"


def change_colour(minutes: float) -> str:
    """Diverging colour for a change in travel time: blue nearer, red further, grey unchanged."""
    if minutes is None or np.isnan(minutes):
        return "#cccccc"
    return CHANGE_COLOURS[int(np.searchsorted(CHANGE_STEPS, minutes, side="right"))]


def _site_popup(r) -> str:
    e = html.escape
    rows = [("Owner", e(str(r.owner))), ("Decision", e(r.decision) + (f" ({e(str(r.fixed_reason))})"
                                                                        if r.fixed_reason else "")),
            ("Floor area", f"{r.floor_area_m2:,.0f} m²"), ("Running cost", _money(r.running_cost_gbp) + "/yr"),
            ("Backlog", _money(r.backlog_gbp)), ("Net receipt if sold", _money(r.net_receipt_gbp)),
            ("Services before", e(r.services_before or "none")), ("Services after", e(r.services_after or "none"))]
    body = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<b>{e(str(r['name']))}</b> <small>({e(str(r.site_id))})</small><table>{body}</table>"


def write_map_html(plan, estate, path) -> None:
    """Interactive map: sites by decision and owner, service moves, and zones shaded by the change in
    travel time to the service chosen in the layer control; popups; legend. Self-contained."""
    import folium

    sites = _lonlat(plan.sites)
    m = folium.Map(location=[float(sites.lat.mean()), float(sites.lon.mean())], zoom_start=12, tiles=None,
                   control_scale=True, prefer_canvas=False)
    # Only Leaflet itself is needed (no jQuery/Bootstrap/icon fonts): all inlined below.
    m.default_js = [("leaflet", "leaflet.js")]
    m.default_css = [("leaflet_css", "leaflet.css")]
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap background (online)", overlay=True, show=False,
                     control=True).add_to(m)
    _add_zone_layers(m, plan, estate)
    for owner_type, group in sites.groupby("owner_type", sort=True):
        layer = folium.FeatureGroup(name=f"Sites: {html.escape(owner_type.replace('_', ' '))}")
        for _, r in group.iterrows():
            folium.CircleMarker(
                location=[r.lat, r.lon], radius=float(5 + 2 * np.log10(max(r.floor_area_m2, 10))),
                color=OWNER_COLOURS.get(owner_type, "#666666"), weight=2, fill=True,
                fill_color=DECISION_COLOURS[r.decision], fill_opacity=0.9 if r.decision == "retain" else 0.5,
                dash_array=None if r.decision == "retain" else "4", class_name=f"site-marker site-{r.decision}",
                popup=folium.Popup(_site_popup(r), max_width=360),
                tooltip=html.escape(f"{r['name']} — {r.decision}"),
            ).add_to(layer)
        layer.add_to(m)
    if len(plan.moves):
        pos = sites.set_index("site_id")[["lat", "lon"]]
        layer = folium.FeatureGroup(name="Service moves")
        for mv in plan.moves.itertuples(index=False):
            if not mv.to_site_id or mv.to_site_id not in pos.index:
                continue
            a, b = pos.loc[mv.from_site_id], pos.loc[mv.to_site_id]
            folium.PolyLine([[a.lat, a.lon], [b.lat, b.lon]], color=MOVE_COLOUR,
                            weight=float(1.5 + min(mv.floor_area_m2, 2000) / 400), opacity=0.7,
                            class_name="service-move",
                            tooltip=html.escape(f"{mv.service_id}: {mv.from_site_id} → {mv.to_site_id}, "
                                                f"{mv.floor_area_m2:,.0f} m²")).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend_html(plan)))
    if plan.meta.get("attribution"):
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;bottom:4px;right:8px;z-index:9999;font:10px sans-serif;color:#444;"
            f"background:rgba(255,255,255,.8);padding:1px 4px;max-width:50%'>"
            f"{html.escape(plan.meta['attribution'])}</div>"))
    path.write_text(inline_assets(m.get_root().render()), encoding="utf-8")


def _add_zone_layers(m, plan, estate) -> None:
    """One radio-button base layer per service: zones shaded by the change in mean travel time."""
    import folium
    import shapely

    if estate.boundaries is None or not len(estate.boundaries):
        folium.FeatureGroup(name="No zone boundaries", overlay=False).add_to(m)
        return
    # 10 m simplification and 1e-5° (~1 m) precision keep the shapes and shrink the page several-fold
    bounds = estate.boundaries[["zone_id", "geometry"]].to_crs("EPSG:27700")
    bounds = bounds.assign(geometry=bounds.geometry.simplify(10)).to_crs("EPSG:4326")
    bounds = bounds.assign(geometry=shapely.set_precision(bounds.geometry.values, 1e-5))
    names = estate.zones["name"] if "name" in estate.zones else pd.Series(dtype=str)
    za = plan.zones
    first = True
    for k in plan.services.service_id:
        z = za[za.service_id == k].set_index("zone_id")
        g = bounds.assign(
            zone=[html.escape(f"{names.get(i) or i} ({i})") for i in bounds.zone_id],
            before=bounds.zone_id.map(z.travel_before_min).round(1),
            after=bounds.zone_id.map(z.travel_after_min).round(1),
            change=bounds.zone_id.map(z.change_min).round(1))
        g = g.assign(colour=g.change.map(change_colour))
        layer = folium.FeatureGroup(name=f"Travel change: {html.escape(str(k))}", overlay=False, show=first)
        folium.GeoJson(
            g[["zone", "before", "after", "change", "colour", "geometry"]].to_json(na="null"),
            style_function=lambda f: {"color": "#777777", "weight": 0.5, "fillColor": f["properties"]["colour"],
                                      "fillOpacity": 0.55},
            popup=folium.GeoJsonPopup(fields=["zone", "before", "after", "change"],
                                      aliases=["Zone", f"{k}: mean travel today (min)", "in the plan (min)",
                                               "change (min)"]),
            tooltip=folium.GeoJsonTooltip(fields=["zone", "change"], aliases=["", "change (min)"]),
        ).add_to(layer)
        layer.add_to(m)
        first = False


def _legend_html(plan) -> str:
    k = plan.kpis
    dot = "width:12px;height:12px;display:inline-block;border-radius:6px;margin-right:4px"
    items = "".join(f"<div><span style='background:{c};{dot}'></span>{d}</div>" for d, c in DECISION_COLOURS.items())
    owners = "".join(f"<div><span style='border:2px solid {c};{dot};width:8px;height:8px'></span>"
                     f"{html.escape(o.replace('_', ' '))}</div>"
                     for o, c in OWNER_COLOURS.items() if o in set(plan.sites.owner_type))
    labels = [f"&lt; {CHANGE_STEPS[0]}"] + [f"{a} to {b}" for a, b in zip(CHANGE_STEPS, CHANGE_STEPS[1:])] + \
        [f"&gt; {CHANGE_STEPS[-1]}"]
    shades = "".join(f"<span title='{lab} min' style='background:{c};width:14px;height:10px;display:inline-block;"
                     "border:1px solid #999'></span>" for c, lab in zip(CHANGE_COLOURS, labels))
    return (f"<div id='legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;background:white;"
            f"padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-width:260px'>"
            f"<b>{html.escape(plan.scenario)}</b><br>{k['sites_after']} of {k['sites_before']} sites kept; "
            f"saving {_money(k['annual_running_saving_gbp'])}/yr; receipts {_money(k['capital_receipts_gbp'])}<br>"
            f"<i>fill: decision</i>{items}<i>ring: owner</i>{owners}"
            f"<div><span style='border-top:3px solid {MOVE_COLOUR};width:16px;display:inline-block;"
            f"margin-right:4px'></span>service move</div>"
            f"<i>zones: change in travel time</i><br>{shades}<br><small>nearer &larr; &rarr; further (min)</small><br>"
            f"<small>solver: {html.escape(plan.result.status.value)}</small></div>")


def _asset(name: str) -> bytes:
    return resources.files("estate_opt.outputs").joinpath("assets", "leaflet", name).read_bytes()


# folium's popups call jQuery only as $(`<div>...</div>`)[0] and $(document).ready(f); these few
# lines do both, so the page needs no jQuery.
JQUERY_SHIM = """window.$ = window.$ || function (x) {
  if (typeof x === "string") { var t = document.createElement("template"); t.innerHTML = x.trim();
    return Array.from(t.content.childNodes); }
  return {ready: function (f) { if (document.readyState !== "loading") { f(); }
    else { document.addEventListener("DOMContentLoaded", f); } }};
};"""


def inline_assets(page: str) -> str:
    """Replace the Leaflet <script src>/<link href> with the shipped files, icons as data URIs."""
    css = _asset("leaflet.css").decode("utf-8")
    css = re.sub(r"url\(images/([\w.-]+)\)", lambda mt: "url(data:image/png;base64,"
                 + base64.b64encode(_asset(f"images/{mt.group(1)}")).decode() + ")", css)
    js = _asset("leaflet.js").decode("utf-8")
    page = re.sub(r'<script src="leaflet\.js"></script>', lambda _: f"<script>{js}</script><script>{JQUERY_SHIM}</script>",
                  page)
    page = re.sub(r'<link rel="stylesheet" href="leaflet\.css"/>', lambda _: f"<style>{css}</style>", page)
    return page


# ---------------------------------------------------------------------------------------- static maps

def _axes(estate, figsize=(10, 9)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, dpi=120)
    if estate.boundaries is not None and len(estate.boundaries):
        estate.boundaries.to_crs("EPSG:27700").plot(ax=ax, facecolor="#f7f7f7", edgecolor="#bbbbbb", linewidth=0.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax, plt


def write_map_png(plan, estate, path) -> None:
    """Static map for printing: zones, sites by decision (ring colour = owner), moves."""
    fig, ax, plt = _axes(estate)
    s = plan.sites
    pos = s.set_index("site_id")[["easting", "northing"]]
    for mv in plan.moves.itertuples(index=False):
        if mv.to_site_id and mv.to_site_id in pos.index:
            a, b = pos.loc[mv.from_site_id], pos.loc[mv.to_site_id]
            ax.annotate("", xy=(b.easting, b.northing), xytext=(a.easting, a.northing),
                        arrowprops={"arrowstyle": "->", "color": MOVE_COLOUR, "lw": 1.2, "alpha": 0.7})
    for decision, marker in (("retain", "o"), ("dispose", "X")):
        d = s[s.decision == decision]
        ax.scatter(d.easting, d.northing, s=18 + 6 * np.log10(d.floor_area_m2.clip(lower=10)) ** 2,
                   c=DECISION_COLOURS[decision], marker=marker,
                   edgecolors=[OWNER_COLOURS.get(o, "#666666") for o in d.owner_type], linewidths=1.2,
                   label=f"{decision} ({len(d)})", zorder=3)
    k = plan.kpis
    ax.set_title(f"{plan.scenario}\n{k['sites_after']} of {k['sites_before']} sites kept, saving "
                 f"£{k['annual_running_saving_gbp']:,.0f}/yr, receipts £{k['capital_receipts_gbp']:,.0f} "
                 f"[{plan.result.status.value}]", fontsize=9)
    ax.legend(loc="lower left", fontsize=8, title="decision (ring = owner); arrows: moves", title_fontsize=8)
    _credit(ax, plan)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_access_png(plan, estate, path) -> None:
    """Small multiples: zones shaded by the change in mean travel time, one panel per service."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    services = list(plan.services.service_id)
    n = max(len(services), 1)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows + 0.8), dpi=120, squeeze=False)
    have = estate.boundaries is not None and len(estate.boundaries)
    b = estate.boundaries.to_crs("EPSG:27700") if have else None
    for ax, k in zip(axes.flat, services):
        change = plan.zones[plan.zones.service_id == k].set_index("zone_id").change_min
        if have:
            g = b.assign(colour=b.zone_id.map(change).map(change_colour).fillna("#cccccc"))
            g.plot(ax=ax, color=g.colour, edgecolor="#999999", linewidth=0.2)
        else:
            z = estate.zones
            ax.scatter(z.x, z.y, c=[change_colour(change.get(i, np.nan)) for i in z.index], s=8)
        ax.set_title(str(k), fontsize=9)
        ax.set_aspect("equal")
        ax.set_axis_off()
    for ax in list(axes.flat)[len(services):]:
        ax.set_axis_off()
    labels = [f"< {CHANGE_STEPS[0]}"] + [f"{a} to {b}" for a, b in zip(CHANGE_STEPS, CHANGE_STEPS[1:])] + \
        [f"> {CHANGE_STEPS[-1]}"]
    fig.legend(handles=[Patch(facecolor=c, edgecolor="#999999", label=lab) for c, lab in zip(CHANGE_COLOURS, labels)],
               loc="lower center", ncol=len(labels), fontsize=7, title="change in mean travel time (minutes)",
               title_fontsize=8)
    fig.suptitle(f"{plan.scenario}: who travels further", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    fig.savefig(path)
    plt.close(fig)


def _credit(ax, plan) -> None:
    if plan.meta.get("attribution"):
        ax.text(0.99, 0.01, plan.meta["attribution"], transform=ax.transAxes, ha="right", va="bottom", fontsize=5,
                color="#555555", wrap=True)
