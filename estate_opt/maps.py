"""Maps of a plan: an interactive folium map (map.html) and a static PNG (map.png).

Maps take a :class:`Plan` and the Estate's geography only; they never see the solver.
Every name that reaches HTML is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

DECISION_COLOURS = {"retain": "#1a9850", "dispose": "#d73027"}
OWNER_COLOURS = {"council": "#4575b4", "nhs": "#005eb8", "police": "#1d1d5b", "fire": "#e66101",
                 "central_government": "#6a3d9a", "education": "#b8860b", "other": "#666666"}
MOVE_COLOUR = "#7b3294"
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _lonlat(df: pd.DataFrame) -> pd.DataFrame:
    lon, lat = _TO_WGS84.transform(df.easting.to_numpy(float), df.northing.to_numpy(float))
    return df.assign(lon=lon, lat=lat)


def _money(v: float) -> str:
    return f"£{v:,.0f}"


def _popup(r) -> str:
    e = html.escape
    rows = [("Owner", e(str(r.owner))), ("Decision", e(r.decision) + (f" ({e(r.fixed_reason)})" if r.fixed_reason
                                                                        else "")),
            ("Floor area", f"{r.floor_area_m2:,.0f} m²"), ("Running cost", _money(r.running_cost_gbp) + "/yr"),
            ("Backlog", _money(r.backlog_gbp)), ("Net receipt if sold", _money(r.net_receipt_gbp)),
            ("Services before", e(r.services_before or "none")), ("Services after", e(r.services_after or "none"))]
    body = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<b>{e(str(r['name']))}</b> <small>({e(str(r.site_id))})</small><table>{body}</table>"


def write_map_html(plan, estate, path: Path) -> None:
    """Interactive map: sites by decision and owner, service moves, zone boundaries, a legend."""
    import folium

    sites = _lonlat(plan.sites)
    m = folium.Map(location=[float(sites.lat.mean()), float(sites.lon.mean())], zoom_start=12,
                   tiles="OpenStreetMap", control_scale=True)
    if estate.boundaries is not None and len(estate.boundaries):
        folium.GeoJson(estate.boundaries[["zone_id", "geometry"]], name="Demand zones",
                       style_function=lambda _: {"color": "#888888", "weight": 0.6, "fillOpacity": 0.03},
                       tooltip=folium.GeoJsonTooltip(fields=["zone_id"], labels=False)).add_to(m)
    for owner_type, group in sites.groupby("owner_type", sort=True):
        layer = folium.FeatureGroup(name=f"Sites: {html.escape(owner_type.replace('_', ' '))}")
        for _, r in group.iterrows():
            folium.CircleMarker(
                location=[r.lat, r.lon], radius=5 + 2 * np.log10(max(r.floor_area_m2, 10)),
                color=OWNER_COLOURS.get(owner_type, "#666666"), weight=2, fill=True,
                fill_color=DECISION_COLOURS[r.decision], fill_opacity=0.9 if r.decision == "retain" else 0.5,
                dash_array=None if r.decision == "retain" else "4",
                popup=folium.Popup(_popup(r), max_width=360),
                tooltip=html.escape(f"{r['name']} — {r.decision}"),
            ).add_to(layer)
        layer.add_to(m)
    if len(plan.moves):
        pos = sites.set_index("site_id")[["lat", "lon"]]
        layer = folium.FeatureGroup(name="Service moves")
        for mv in plan.moves.itertuples(index=False):
            if mv.to_site_id == "" or mv.to_site_id not in pos.index:
                continue
            a, b = pos.loc[mv.from_site_id], pos.loc[mv.to_site_id]
            folium.PolyLine([[a.lat, a.lon], [b.lat, b.lon]], color=MOVE_COLOUR, weight=2 + mv.floor_area_m2 / 500,
                            opacity=0.7, tooltip=html.escape(f"{mv.service_id}: {mv.from_site_id} → {mv.to_site_id}, "
                                                             f"{mv.floor_area_m2:,.0f} m²")).add_to(layer)
        layer.add_to(m)
    if plan.meta.get("attribution"):
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;bottom:4px;right:220px;z-index:9999;font:10px sans-serif;color:#444;"
            f"background:rgba(255,255,255,.8);padding:1px 4px'>{html.escape(plan.meta['attribution'])}</div>"))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend_html(plan)))
    m.save(str(path))


def _legend_html(plan) -> str:
    k = plan.kpis
    items = "".join(f"<div><span style='background:{c};width:12px;height:12px;display:inline-block;"
                    f"border-radius:6px;margin-right:4px'></span>{d}</div>" for d, c in DECISION_COLOURS.items())
    owners = "".join(f"<div><span style='border:2px solid {c};width:10px;height:10px;display:inline-block;"
                     f"border-radius:6px;margin-right:4px'></span>{html.escape(o.replace('_', ' '))}</div>"
                     for o, c in OWNER_COLOURS.items() if o in set(plan.sites.owner_type))
    return (f"<div style='position:fixed;bottom:24px;left:12px;z-index:9999;background:white;padding:8px 10px;"
            f"border:1px solid #999;border-radius:4px;font:12px sans-serif'>"
            f"<b>{html.escape(plan.scenario)}</b><br>{k['sites_after']} of {k['sites_before']} sites kept; "
            f"saving {_money(k['annual_running_saving_gbp'])}/yr; receipts {_money(k['capital_receipts_gbp'])}<br>"
            f"<i>fill: decision</i>{items}<i>ring: owner</i>{owners}"
            f"<div><span style='border-top:3px solid {MOVE_COLOUR};width:16px;display:inline-block;"
            f"margin-right:4px'></span>service move</div>"
            f"<small>status: {html.escape(plan.result.status.value)}</small></div>")


def write_map_png(plan, estate, path: Path) -> None:
    """Static map for printing: zones, sites by decision (ring colour = owner), moves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 9), dpi=120)
    if estate.boundaries is not None and len(estate.boundaries):
        estate.boundaries.to_crs("EPSG:27700").plot(ax=ax, facecolor="#f7f7f7", edgecolor="#bbbbbb", linewidth=0.4)
    s = plan.sites
    pos = s.set_index("site_id")[["easting", "northing"]]
    for mv in plan.moves.itertuples(index=False):
        if mv.to_site_id in pos.index:
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
    ax.set_title(f"{plan.scenario}: {k['sites_after']} of {k['sites_before']} sites kept, saving "
                 f"£{k['annual_running_saving_gbp']:,.0f}/yr, receipts £{k['capital_receipts_gbp']:,.0f} "
                 f"[{plan.result.status.value}]", fontsize=9)
    ax.legend(loc="lower left", fontsize=8, title="decision (ring = owner)", title_fontsize=8)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if plan.meta.get("attribution"):
        ax.text(0.99, 0.01, plan.meta["attribution"], transform=ax.transAxes, ha="right", va="bottom", fontsize=6,
                color="#555555", wrap=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
