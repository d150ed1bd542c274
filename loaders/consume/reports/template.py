# ruff: noqa: E501 - HTML and CSS lines of the template
"""The report's HTML (Jinja, autoescaped): one page of tiles and charts, then the tables."""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<meta name="generator" content="adwh">
<meta name="dcterms.created" content="{{ generated_iso }}">
<meta name="dcterms.modified" content="{{ generated_iso }}">
<style>
@page { size: A4; margin: 14mm 12mm;
        @bottom-left { content: "{{ footer|safe }}"; font-size: 7pt; color: #666; }
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 7pt; color: #666; } }
body { font-family: {{ fonts }}; font-variant-ligatures: none; font-size: 9pt; color: #1d232b; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 2pt 0; }
h2 { font-size: 11pt; margin: 14pt 0 4pt 0; border-bottom: 1px solid #d5dbe3; }
.sub { color: #55606e; margin-bottom: 8pt; }
table { border-collapse: collapse; width: 100%; }
table.tiles td { border: 1px solid #d5dbe3; padding: 5pt 6pt; width: 20%; vertical-align: top; }
.tile-label { color: #55606e; font-size: 7.5pt; text-transform: uppercase; }
.tile-value { font-size: 12pt; font-weight: bold; }
.up { color: #1e7b34; } .down { color: #b3261e; } .flat { color: #55606e; }
table.list th, table.list td { text-align: left; padding: 2pt 4pt; border-bottom: 1px solid #eef1f5; }
table.list td.num, table.list th.num { text-align: right; }
img.chart { width: 100%; }
.block { break-inside: avoid; }
.note { color: #55606e; font-size: 8pt; }
</style>
</head>
<body>
<h1>{{ data.client_name }} — {{ kind_title }} report</h1>
<div class="sub">{{ period_label }} · client {{ data.client_id }} · as of {{ data.as_of.isoformat() }}
 · currency {{ data.currency or "n/a" }}</div>
{% if not data.has_data %}<p><b>No figures for this period in the marts.</b></p>{% endif %}
<table class="tiles">
{% for row in tiles|batch(5) %}<tr>{% for t in row %}
<td><div class="tile-label">{{ t.label }}</div><div class="tile-value">{{ t.value }}</div>
<div class="{{ t.trend }}">{{ t.change }} vs {{ previous_label }}</div></td>{% endfor %}</tr>
{% endfor %}
</table>
{% for chart in charts %}<div class="block">
<h2>{{ chart.title }}</h2>
{% if chart.svg %}<img class="chart" alt="{{ chart.title }}" src="{{ chart.src }}">
{% else %}<p class="note">{{ chart.empty }}</p>{% endif %}
</div>{% endfor %}
<h2>Top campaigns by conversions</h2>
{% if data.top_campaigns %}<table class="list"><tr><th>#</th><th>Campaign</th>
<th class="num">Conversions</th><th class="num">Revenue</th><th class="num">Spend</th></tr>
{% for rank, name, conv, revenue, spend in data.top_campaigns %}<tr><td>{{ rank }}</td>
<td>{{ name }}</td><td class="num">{{ f.number(conv) }}</td><td class="num">{{ f.money(revenue) }}</td>
<td class="num">{{ f.money(spend) }}</td></tr>{% endfor %}</table>
{% else %}<p class="note">No campaign converted in this period.</p>{% endif %}
<h2>Underperforming campaigns</h2>
{% if data.underperformers %}<table class="list"><tr><th>Campaign</th><th class="num">Spend</th>
<th class="num">CTR</th><th>Why</th></tr>
{% for name, spend, ctr, reason in data.underperformers %}<tr><td>{{ name }}</td>
<td class="num">{{ f.money(spend) }}</td><td class="num">{{ f.pct(ctr) }}</td><td>{{ reason }}</td></tr>
{% endfor %}</table>
{% else %}<p class="note">None: no campaign is below the CTR, spend and conversion thresholds.</p>{% endif %}
{% if data.alerts %}<h2>Open alerts</h2><table class="list">
{% for alert in data.alerts %}<tr><td>{{ f.alert(alert) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Data coverage</h2>
{% if data.coverage %}<p>Days of this period not fully loaded — figures for them are missing or partial:</p>
<table class="list"><tr><th>Day</th><th>Source</th><th>Status</th><th>Reason</th></tr>
{% for day, source, status, reason in data.coverage %}<tr><td>{{ day.isoformat() }}</td><td>{{ source }}</td>
<td>{{ status }}</td><td>{{ reason }}</td></tr>{% endfor %}</table>
{% else %}<p class="note">Every source delivered and loaded every day of this period.</p>{% endif %}
{% if undrawable %}<p class="note">Some names ({{ undrawable|join(", ") }}) use characters no font
installed on the machine that made this PDF can draw: they print as boxes here. The HTML report
shows them, and installing a CJK font (e.g. Debian's fonts-noto-cjk) fixes the PDF.</p>{% endif %}
<p class="note">Generated {{ generated_label }} from the adwh marts (mart_weekly_summary,
mart_monthly_summary, mart_entity_daily_metrics, mart_period_top_entities, mart_underperformers,
mart_entity_country_daily, mart_creative_spend_rankings, mart_data_coverage).</p>
</body>
</html>
"""
