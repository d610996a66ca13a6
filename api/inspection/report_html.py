"""The campaign report as one printable HTML page (A4, bilingual headings, no external
assets): summary, markers by condition, actions, open problems, records, segment checks and
the signatures block of both sides."""

from __future__ import annotations

import math
from typing import Any

import jinja2

from api.inspection.report import CONDITION_EN, CampaignReport, records_table
from layers.records import SEGMENT_STATUSES

__all__ = ["report_html"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ c.name }} 联检报告 / Joint inspection report</title>
<style>
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
       font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 18pt; text-align: center; margin: 4mm 0 1mm; }
h1 small { display: block; font-size: 11pt; font-weight: normal; color: #444; }
h2 { font-size: 12.5pt; border-bottom: 1.5px solid #333; margin: 7mm 0 2mm; padding-bottom: 1mm; }
h2 small { font-weight: normal; color: #555; font-size: 10pt; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0; page-break-inside: auto; }
th, td { border: 1px solid #888; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; }
tr { page-break-inside: avoid; }
.estimated { border: 2px solid #b00; color: #b00; padding: 2mm; margin: 3mm 0; font-weight: bold; }
.meta td:first-child { width: 35%; background: #f6f6f6; }
.signatures { display: flex; gap: 8mm; page-break-inside: avoid; }
.signatures > div { flex: 1; border: 1px solid #888; padding: 3mm; min-height: 40mm; }
.line { border-bottom: 1px solid #333; height: 9mm; }
.small { font-size: 8.5pt; color: #555; word-break: break-all; }
@media print { .noprint { display: none; } h2 { page-break-after: avoid; } }
</style></head><body>
<h1>{{ c.left_name }}—{{ c.right_name }}界线第{{ c.round_no }}轮联检报告
<small>Joint inspection report, line {{ c.line_code }}, round {{ c.round_no }}
({{ c.year }})</small></h1>
{% if r.estimated %}<div class="estimated">含估算的示例数据，不得作为正式联检成果 /
Contains estimated demo data: not an official inspection result</div>{% endif %}
<table class="meta">
<tr><td>联检批次 Campaign</td><td>{{ c.campaign_id }} {{ c.name }}</td></tr>
<tr><td>界线 Line</td><td>{{ c.line_code }} {{ line_name }}</td></tr>
<tr><td>一侧 Left side</td><td>{{ c.left_name }} ({{ c.left_code }})</td></tr>
<tr><td>另一侧 Right side</td><td>{{ c.right_name }} ({{ c.right_code }})</td></tr>
<tr><td>生成 Generated (UTC+8)</td><td>{{ r.generated_at }}, {{ r.generated_by }}</td></tr>
<tr><td>审计链 Audit chain head</td><td class="small">{{ r.audit_head }}</td></tr>
</table>
<h2>一、概况 <small>Summary</small></h2>
<table>
<tr><th>界线长度 Length</th><th>已检长度 Covered</th><th>界桩 Markers</th><th>已检 Inspected</th>
<th>已到达 Reached</th><th>疑似移位 Suspected displaced</th><th>记录 Records</th></tr>
<tr><td class="n">{{ "%.2f"|format(s.length_km) }} km</td>
<td class="n">{{ "%.2f"|format(s.covered_km) }} km
({{ "%.0f"|format(100 * s.covered_share) }} %)</td>
<td class="n">{{ s.markers_total }}</td><td class="n">{{ s.markers_inspected }}</td>
<td class="n">{{ s.markers_reached }}</td><td class="n">{{ s.suspected_displaced }}</td>
<td class="n">{{ s.records }}</td></tr></table>
<h2>二、界桩状况 <small>Markers by latest condition</small></h2>
<table><tr><th>状况 Condition</th><th>界桩数 Markers</th></tr>
{% for k, v in s.by_condition.items() %}
<tr><td>{{ k }} {{ en[k] }}</td><td class="n">{{ v }}</td></tr>{% endfor %}
</table>
<h2>三、处理措施 <small>Actions taken</small></h2>
{% if actions %}<table><tr><th>措施 Action</th><th>界桩数 Markers</th></tr>
{% for a in actions %}<tr><td>{{ a.action }}</td><td class="n">{{ a.markers }}</td></tr>{% endfor %}
</table>{% else %}<p>无 None.</p>{% endif %}
<h2>四、待解决问题 <small>Open problems</small></h2>
{% if problems %}<table><tr><th>对象 Item</th><th>问题 Problem</th><th>说明 Detail</th></tr>
{% for p in problems %}<tr><td>{{ p.item }}</td><td>{{ p.problem }}</td><td>{{ p.detail }}</td></tr>
{% endfor %}</table>{% else %}<p>无 None.</p>{% endif %}
<h2>五、界线走向 <small>Course of the line</small></h2>
{% if segments %}<table><tr><th>起止界桩 Markers</th><th>长度 Length</th><th>走向 Course</th>
<th>说明 Description</th></tr>
{% for g in segments %}<tr><td>{{ g.from_marker }}–{{ g.to_marker }}</td>
<td class="n">{{ "%.0f"|format(g.length_m) }} m</td><td>{{ status[g.status] }} {{ g.status }}</td>
<td>{{ g.description or "" }}</td></tr>{% endfor %}</table>
{% else %}<p>无走向检查记录 No segment checks.</p>{% endif %}
<h2>六、检查记录 <small>Inspection records</small></h2>
<table><tr>{% for h in record_headers %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in record_rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</table>
<h2>七、签字 <small>Signatures</small></h2>
<div class="signatures">
{% for side, name in [("left", c.left_name), ("right", c.right_name)] %}<div>
<b>{{ name }} 联检人员</b> <span class="small">Inspectors, {{ side }} side</span>
<p>{{ inspectors[side]|join("、") or "—" }}</p>
<p>签字 Signature</p><div class="line"></div>
<p>日期 Date</p><div class="line"></div>
<p>单位盖章 Seal of the unit</p><div class="line"></div>
</div>{% endfor %}
</div>
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_RECORD_COLUMNS = (
    "界桩编号 marker", "检查时间 inspected (UTC+8)", "状况 condition", "偏移 displacement (m)",
    "限差 2σ limit (m)", "疑似移位 suspected", "处理措施 actions", "联检人员 inspectors",
    "审核 review",
)  # fmt: skip


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def report_html(report: CampaignReport) -> str:
    """The report as a self-contained, printable HTML page."""
    table = records_table(report)
    columns = [c for c in _RECORD_COLUMNS if c in table]
    rows = [[_cell(v) for v in row] for row in table[columns].itertuples(index=False)]
    segments = report.segments.assign(
        length_m=(report.segments["to_chainage_m"] - report.segments["from_chainage_m"]).abs()
    )
    if "description" not in segments:
        segments["description"] = None
    return _ENV.from_string(_TEMPLATE).render(
        c=report.campaign,
        r=report,
        s=report.summary(),
        line_name=report.line.get("name", ""),
        en=CONDITION_EN,
        status=SEGMENT_STATUSES,
        actions=report.actions.to_dict("records"),
        problems=report.problems.to_dict("records"),
        segments=segments.to_dict("records"),
        record_headers=columns,
        record_rows=rows,
        inspectors=report.inspectors,
    )
