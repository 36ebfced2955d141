"""Every user-facing string, in Chinese and English: the one place to read or translate them.

- :data:`MESSAGES` and :func:`t`: sentences of the command line, and the texts grading builds
  into findings and countermeasures (keys ``finding_*``, ``verify``);
- :data:`CODES`: the title of every diagnostic code;
- :data:`LEVEL_LABELS`: the risk colours' labels;
- :data:`REPORT_LABELS`, :data:`REPORT_TEXT`: the district page;
- :data:`PLAN_COLUMNS`, :data:`PLAN_SUMMARY`: the inspection plan's tables;
- :data:`DEMO_HEADERS`: the demo table.
"""

from __future__ import annotations

import os
from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "policy_ok": (
        "策略检查通过：{name} {version}，{rules} 条规则，{warnings} 条警告",
        "policy OK: {name} {version}, {rules} rules, {warnings} warning(s)",
    ),
    "policy_problems": ("策略有 {count} 个问题", "policy has {count} problem(s)"),
    "tests_summary": ("策略测试：{passed}/{total} 通过", "policy tests: {passed}/{total} passed"),
    "test_failed": ("未通过：{name}（{location}）", "FAILED: {name} ({location})"),
    "expected": ("期望", "expected"),
    "actual": ("实际", "actual"),
    "coverage_title": ("覆盖情况", "coverage"),
    "coverage_total": (
        "总覆盖率 {percent:.1f}%（{hit}/{total}）",
        "overall coverage {percent:.1f}% ({hit}/{total})",
    ),
    "coverage_below": (
        "覆盖率 {percent:.1f}% 低于要求的 {minimum:.1f}%",
        "coverage {percent:.1f}% is below the required {minimum:.1f}%",
    ),
    "thresholds_title": (
        "数值阈值（刚好低于 / 等于 / 刚好高于）",
        "numeric thresholds (just below / at / just above)",
    ),
    "explain_title": (
        "评估说明：{name}（{id}），评估日期 {as_of}",
        "Explanation for {name} ({id}) as of {as_of}",
    ),
    "risk_line": ("风险等级：{level}", "Risk level: {level}"),
    "grade_line": ("履责等级：{grade}", "Duty grade: {grade}"),
    "findings_title": ("发现的问题", "Findings"),
    "no_findings": ("无", "none"),
    "evidence": ("证据", "evidence"),
    "basis": ("依据", "basis"),
    "assumed": ("（数据缺失，按未履行认定）", "(assumed: facts missing)"),
    "missing": ("缺少", "missing"),
    "arithmetic_title": ("计分过程", "Score arithmetic"),
    "duty_arithmetic": (
        "履责得分 = {start} − {deductions} = {score} → {grade}",
        "duty score = {start} − {deductions} = {score} → {grade}",
    ),
    "risk_arithmetic": (
        "风险值 {method} = {product} = {score} → 分级 {band}",
        "risk score {method} = {product} = {score} → band {band}",
    ),
    "matrix_arithmetic": (
        "风险矩阵 {method}：{cell} → 分级 {band}",
        "risk matrix {method}: {cell} → level {band}",
    ),
    "overrides_title": ("等级调整", "Overrides applied"),
    "countermeasures_title": ("对策", "Countermeasures"),
    "because": ("原因", "because of"),
    "deadline": ("期限 {days} 天，责任方 {who}", "within {days} days, by {who}"),
    "waivers_title": ("豁免", "Waivers"),
    "waiver_applied": (
        "已豁免 {rule}（{approved_by} 批准，至 {expires}）：{why}",
        "waived {rule} (approved by {approved_by}, until {expires}): {why}",
    ),
    "waiver_expired": (
        "豁免已过期，未采用 {rule}（至 {expires}）",
        "expired waiver ignored for {rule} (until {expires})",
    ),
    "next_title": ("如何改善", "What would have to change"),
    "next_level": (
        "整改以下 {count} 项即可降至 {level}：{rules}",
        "clearing these {count} finding(s) brings the level down to {level}: {rules}",
    ),
    "next_level_none": (
        "仅靠整改问题无法降低风险等级（行业和规模带来的固有风险为 {level}）",
        "clearing findings cannot lower the level: "
        "inherent risk (industry and exposure) keeps it {level}",
    ),
    "next_level_best": ("风险等级已为最低（蓝色）", "the risk level is already the lowest (blue)"),
    "next_grade": (
        "整改以下 {count} 项即可提升至 {grade} 级：{rules}",
        "clearing these {count} finding(s) raises the duty grade to {grade}: {rules}",
    ),
    "next_grade_none": (
        "仅靠整改已发现的问题无法提升履责等级",
        "clearing the findings alone cannot raise the duty grade",
    ),
    "next_grade_best": ("履责等级已为 A", "the duty grade is already A"),
    "graph_written": ("已写入 {path}", "wrote {path}"),
    "diff_title": (
        "策略对比：{old} → {new}，{count} 家单位",
        "policy diff: {old} → {new}, {count} units",
    ),
    "diff_levels": (
        "风险等级转移矩阵（行：旧，列：新）",
        "risk level transitions (rows: old, columns: new)",
    ),
    "diff_grades": (
        "履责等级转移矩阵（行：旧，列：新）",
        "duty grade transitions (rows: old, columns: new)",
    ),
    "diff_changed": ("等级变化的单位：{count}", "units whose grade changed: {count}"),
    "diff_psi": (
        "风险等级分布稳定性指数 PSI = {psi:.4f}（{verdict}）",
        "population stability index of levels PSI = {psi:.4f} ({verdict})",
    ),
    "psi_stable": ("稳定", "stable"),
    "psi_moderate": ("有一定变化", "moderate shift"),
    "psi_major": ("显著变化", "major shift"),
    "diff_failed_rows": ("无法评级的行：{count}", "rows that could not be graded: {count}"),
    # policy diff: rows that fail under one policy or both
    "diff_graded": ("已评级", "graded"),
    "diff_failed": ("无法评级", "failed"),
    "diff_row": ("第 {index} 行", "row {index}"),
    "diff_no_units": (
        "没有两版策略下都能评级的单位，不计算 PSI",
        "no unit was graded under both policies: PSI not computed",
    ),
    "rows_summary": (
        "行数 {rows} · 已评级 {graded} · 失败 {failed}",
        "rows {rows} · graded {graded} · failed {failed}",
    ),
    "bad_input": ("输入有误：{error}", "bad input: {error}"),
    # Gaps made visible: the facts most rows lack (findings on them are assumed, not confirmed).
    "gap_summary": (
        "缺失最多的事实（其相关违规为推定，请补录核实）：",
        "facts most often missing (findings on them are assumed; fill them in):",
    ),
    "gap_line": ("  {label}：{percent}% 的行缺失", "  {label}: missing in {percent} % of rows"),
    # Reading ledgers: columns that are no fact (ignored unless --strict-columns).
    "ignored_columns": (
        "已忽略 {count} 个无对应事实的列：{names}（--strict-columns 则拒绝）",
        "ignored {count} column(s) that are no fact: {names} (--strict-columns refuses them)",
    ),
    # Grading: the default engine, columnar, cannot grade this policy as tables.
    "engine_fallback": (
        "该政策无法按表评估（{reason}），改用 compiled 引擎逐行评估",
        "this policy cannot be graded as tables ({reason}): graded on the compiled engine",
    ),
    "using_sample_district": (
        "未指定输入文件，使用内置样例辖区（400 家单位）",
        "no INPUT given: using the bundled sample district (400 units)",
    ),
    "rows_failed_file": (
        "{failed} 行数据有误未评估，详见 {path}",
        "{failed} row(s) with bad data were not graded: see {path}",
    ),
    "report_written": (
        "已生成报告 {path}：评估 {graded} 家，数据有误 {failed} 行",
        "wrote {path}: {graded} graded, {failed} row(s) with bad data",
    ),
    "plan_title": ("检查计划 {path}", "Inspection plan {path}"),
    # Outputs refused and runs stopped partway (exit statuses 2 and 3).
    "cannot_write": ("无法写入：{error}", "cannot write: {error}"),
    "run_stopped": ("运行中止：{error}", "run stopped: {error}"),
    "interrupted": (
        "已中断，结果不完整；CSV 和 JSON Lines 结果可用同一命令加 --resume 继续",
        "interrupted: the results are incomplete; for CSV and JSON Lines results, run the "
        "same command with --resume to continue",
    ),
    "internal_error": (
        "内部错误：{error}（这是程序缺陷，请连同命令行一起报告）",
        "internal error: {error} (a bug: please report it with the command line)",
    ),
    # Texts grading builds into findings and countermeasures (the assessment's messages).
    "finding_gap": (
        "数据缺失，无法判定：{text}（缺少：{missing}）",
        "Missing data, cannot decide: {text} (missing: {missing})",
    ),
    "finding_risk_level": (
        "风险等级：{label}（{arithmetic}）",
        "Risk level: {label} ({arithmetic})",
    ),
    "finding_factor_gap": (
        "数据缺失，风险因子 {factor} 按 {shown} 计（缺少：{missing}）",
        "Missing data: risk factor {factor} taken as {shown} (missing: {missing})",
    ),
    "verify": ("{text}（待核实：{facts}）", "{text} (to verify: {facts})"),
    "diagnostic_warning": ("警告：{message}", "warning: {message}"),
    "diagnostic_titled": ("{title}：{message}", "{message}"),
    "plan_never": ("从未检查", "never inspected"),
    "plan_level_counts": ("{label}：单位/应检/已排", "{label}: units/demanded/scheduled"),
    "report_capacity": ("容量", "capacity"),
}

SEPARATORS: dict[str, str] = {"zh": "、", "en": ", "}
"""How a list of names is joined in running text."""

BASIS_SEPARATORS: dict[str, str] = {"zh": "；", "en": "; "}
"""How several legal bases are joined."""

# Stable diagnostic codes. Never renumber: editors and CI scripts match on them.
CODES: dict[str, tuple[str, str]] = {
    "RG001": ("file cannot be read", "文件无法读取"),
    "RG002": ("YAML syntax error", "YAML 语法错误"),
    "RG003": ("unsafe YAML tag", "不安全的 YAML 标签"),
    "RG004": ("YAML aliases/anchors are not allowed", "不允许使用 YAML 别名/锚点"),
    "RG005": ("document too large", "文件过大"),
    "RG006": ("duplicate key", "重复的键"),
    "RG007": ("document nested too deeply", "嵌套层级过深"),
    "RG010": ("not a policy document", "不是策略文件"),
    "RG101": ("invalid policy structure", "策略结构有误"),
    "RG102": ("duplicate id", "重复的编号"),
    "RG201": ("expression syntax error", "表达式语法错误"),
    "RG202": ("type error in expression", "表达式类型错误"),
    "RG203": ("unknown fact", "未知的事实名"),
    "RG204": ("unknown function", "未知的函数"),
    "RG205": ("unknown enum value", "未知的取值"),
    "RG206": ("expression too complex", "表达式过于复杂"),
    "RG301": ("cycle between derived facts", "派生事实之间存在循环"),
    "RG302": ("rule can never fire", "规则永远不会触发"),
    "RG303": ("recommendation is never reached", "对策永远不会被触发"),
    "RG304": ("unknown recommendation", "未知的对策"),
    "RG305": ("supersession cycle", "对策取代关系存在循环"),
    "RG306": ("unknown legal basis", "未知的法律依据"),
    "RG307": ("unknown duty", "未知的责任项"),
    "RG308": ("waiver names an unknown rule", "豁免指向未知规则"),
    "RG309": ("waiver has expired", "豁免已过期"),
    "RG401": ("unknown scoring method", "未知的评分方法"),
    "RG402": ("invalid scoring table", "评分表有误"),
    "RG403": ("unknown grade or level", "等级设置不完整"),
    "RG404": ("risk matrix lowers the level as a factor rises", "风险矩阵随因子升高反而降低等级"),
    "RG501": ("policy test case is invalid", "策略测试用例有误"),
    "RG601": ("engine limit exceeded", "超出引擎限制"),
}
"""Stable code -> (English title, Chinese title)."""

LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "blue": ("蓝/低风险", "blue/low risk"),
    "yellow": ("黄/一般风险", "yellow/general risk"),
    "orange": ("橙/较大风险", "orange/higher risk"),
    "red": ("红/重大风险", "red/major risk"),
}
"""Each risk level's name -> (Chinese label, English label)."""

REPORT_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝",
        "state": "国有企业", "above_scale_private": "规上民营企业", "small_micro": "中小微企业",
        "other": "其他", "unknown": "未知",
        "enterprise": "企业", "regulator": "监管部门", "third_party": "第三方机构",
    },
    "en": {
        "red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue",
        "state": "state-owned", "above_scale_private": "above-scale private",
        "small_micro": "small and micro", "other": "other", "unknown": "unknown",
        "enterprise": "enterprise", "regulator": "regulator", "third_party": "third party",
    },
}  # fmt: skip

REPORT_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "辖区安全生产主体责任与风险分级报告", "sep": "：",
        "as_of": "评估日期", "policy": "评估策略", "rows": "输入单位", "graded": "已评估",
        "failed": "数据有误未评估", "overview": "总体情况", "level": "风险等级",
        "grade": "履责等级", "units": "单位数", "share": "占比",
        "by_community": "按社区", "by_tier": "按主体层级", "community": "街道 / 社区",
        "tier": "主体层级", "gaps": "最常见的履责缺失", "gap": "问题",
        "measures": "需要采取的措施", "measure": "措施", "responsible": "按责任方",
        "party": "责任方", "measure_count": "措施数", "key_areas": "重点领域", "area": "领域",
        "hot": "红色、橙色单位及首要措施", "unit": "单位", "score": "履责得分",
        "top_measures": "首要措施", "plan": "检查计划", "weekly": "每周检查安排（按风险等级）",
        "visits": "检查安排", "data_gaps": "存在数据缺失的单位", "none": "无",
    },
    "en": {
        "title": "District report: work-safety duties and risk levels", "sep": ": ",
        "as_of": "As of", "policy": "Policy", "rows": "Units in", "graded": "Graded",
        "failed": "Rows with bad data (not graded)", "overview": "Overview",
        "level": "Risk level", "grade": "Duty grade", "units": "Units", "share": "Share",
        "by_community": "By community", "by_tier": "By tier", "community": "Street / community",
        "tier": "Tier", "gaps": "Most common duty gaps", "gap": "Gap",
        "measures": "Countermeasures needed", "measure": "Countermeasure",
        "responsible": "By responsible party", "party": "Responsible",
        "measure_count": "Countermeasures", "key_areas": "Key areas",
        "area": "Area", "hot": "Red and orange units and their top countermeasures",
        "unit": "Unit", "score": "Duty score", "top_measures": "Top countermeasures",
        "plan": "Inspection plan", "weekly": "Inspections per week by risk colour",
        "visits": "Scheduled inspections", "data_gaps": "Units with missing data", "none": "none",
    },
}  # fmt: skip

PLAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "zh": ("日期", "检查员", "统一社会信用代码", "单位名称", "街道", "社区", "风险等级",
           "应检日期", "逾期天数", "首要措施"),
    "en": ("date", "inspector", "unit_id", "name", "street", "community", "risk_level",
           "due", "overdue_days", "top_countermeasure"),
}  # fmt: skip

PLAN_SUMMARY: tuple[tuple[str, str], ...] = (
    ("工作日", "working days"),
    ("检查员", "inspectors"),
    ("每人每日检查单位数", "units per inspector-day"),
    ("目标所需检查次数", "inspections the targets call for"),
    ("已排检查次数", "inspections scheduled"),
    ("所需人日", "inspector-days needed"),
    ("可用人日", "inspector-days available"),
    ("人日缺口", "capacity gap (inspector-days)"),
    ("需增加检查员", "extra inspectors needed"),
    ("期末仍待检单位", "units still due at the end"),
)
"""The plan summary's row labels, (Chinese, English), in the order of its rows."""

DEMO_HEADERS: dict[str, tuple[str, ...]] = {
    "zh": ("编号", "名称", "风险等级", "履责等级", "主要对策"),
    "en": ("ID", "Name", "Risk level", "Duty grade", "Top countermeasures"),
}


# Ledgers: the fact reference, the ledger template, command help and output notes.
MESSAGES.update(
    {
        "sample_as_of": (
            "评估日期取样例数据所描述的日期 {date}（用 --as-of 改）",
            "graded as of {date}, the day the bundled sample describes (change with --as-of)",
        ),
        "template_written": (
            "已写出空白台账 {path}：填好后运行 riskgrade grade {path} -o 结果.csv",
            "wrote the empty ledger {path}; fill it in, then run riskgrade grade {path} -o out.csv",
        ),
        "template_exists": (
            "{path} 已存在，未覆盖（换个文件名）",
            "{path} exists; not overwritten",
        ),
        "facts_title": ("{policy} 读取的事实", "Facts {policy} reads"),
        "facts_columns": ("事实|类型|表头|取值|未知时", "fact|type|headers|values|when unknown"),
        "unknown_required": ("必填：缺失则该行不评级", "required: the row fails without it"),
        "unknown_finding": (
            "按未履行认定并报数据缺口：{rules}",
            "assumed breached, data gap reported: {rules}",
        ),
        "unknown_gap": ("只报数据缺口：{rules}", "data gap reported only: {rules}"),
        "unknown_unread": ("本策略不读取", "not read by this policy"),
        "unknown_derived": ("用于推导：{facts}", "used to derive: {facts}"),
        "help_exit": (
            "退出状态：0 全部评完；1 有行未通过或检查发现问题；2 用法、策略、设置或输入错误。",
            "Exit status: 0 all graded; 1 some rows failed or a check found problems; "
            "2 usage, policy, settings or input error.",
        ),
        "help_examples": ("示例：", "Examples:"),
    }
)

# Real ledgers: the encoding hint, the report's gaps, fields named by the ledger's headers.
MESSAGES.update(
    {
        "try_encoding": ("（用 --encoding 指定编码，如 gbk、big5）",
                         " (name its encoding with --encoding, e.g. gbk, big5)"),
        "field_item": ("{items}第{n}项", "{items} item {n}"),
        "field_item_field": ("{items}第{n}项·{field}", "{items} item {n}: {field}"),
        "field_exceeds": ("{field}（{value}）超过{total}（{total_value}）",
                          "{field} ({value}) exceeds {total} ({total_value})"),
        "field_before": ("{field}早于{other}", "{field} is before {other}"),
    }
)  # fmt: skip
REPORT_TEXT["zh"].update(
    {"violations": "违规", "confirmed": "确认违规", "assumed": "数据缺失推定",
     "assumed_units": "存在推定违规的单位",
     "assumed_note": "“数据缺失推定”的违规是因台账缺少相关事实而按未履行认定的，"
                     "核实前不宜据此执法。",
     "missing_facts": "缺失最多的事实（缺失单位占一成以上）", "fact": "事实",
     "missing_note": "补录这些事实后，相关推定违规即可确认或排除。"}
)  # fmt: skip
REPORT_TEXT["en"].update(
    {"violations": "Violations", "confirmed": "Confirmed", "assumed": "Assumed from missing data",
     "assumed_units": "Units with assumed violations",
     "assumed_note": "Violations assumed from missing data rest on facts the ledger lacks: verify "
                     "them before enforcing.",
     "missing_facts": "Facts most often missing (from a tenth of the units or more)",
     "fact": "Fact",
     "missing_note": "Filling these in confirms or clears the violations assumed for them."}
)  # fmt: skip

LEDGER_SHEETS: dict[str, str] = {"main": "企业", "hazards": "隐患", "buildings": "建筑",
                                 "elevators": "电梯", "notes": "填写说明"}  # fmt: skip
"""The template's sheet titles (the reader takes 隐患, 建筑 and 电梯 as linked sheets)."""

COMMAND_HELP: dict[str, str] = {
    "demo": "用默认策略评估样例企业并列表。",
    "grade": "把台账文件 INPUT 中每家企业评级，结果写入 OUTPUT。",
    "check": "检查策略文件：语法、类型、引用、环路与死规则。",
    "test": "运行策略自带的测试用例，并报告覆盖情况。",
    "explain": "逐条说明 FACTS 中每家企业的评级过程。",
    "graph": "导出策略中规则与事实的依赖图。",
    "diff": "用新旧两个策略评估同一批数据，列出变化。",
    "schema": "输出策略格式的 JSON Schema。",
    "report": "为 INPUT 写出辖区汇总页面。",
    "plan": "按风险为 INPUT 的单位排检查计划。",
    "facts": "列出策略读取的每个事实：类型、中文表头、取值和未知时的处理。",
    "template": "写出带中文表头和下拉选项的空白台账（xlsx）。",
}
"""Each command's one-line help in Chinese (the English is the command's docstring)."""

COMMAND_EXAMPLES: dict[str, tuple[str, ...]] = {
    "demo": ("riskgrade demo", "riskgrade demo --lang en --as-of 2026-11-28"),
    "grade": ("riskgrade grade 台账.xlsx -o 结果.csv", "riskgrade grade 台账.csv -o - | head",
              "riskgrade grade 台账.csv --encoding gbk --mapping 表头.yaml -o 结果.xlsx"),
    "check": ("riskgrade check my-policy/",),
    "test": ("riskgrade test my-policy/",),
    "explain": ("riskgrade explain unit.json --as-of 2026-11-28",),
    "graph": ("riskgrade graph -o rules.dot",),
    "diff": ("riskgrade diff old/ new/ 台账.csv",),
    "schema": ("riskgrade schema > policy.schema.json",),
    "report": ("riskgrade report 台账.xlsx -o 汇总.html",),
    "plan": ("riskgrade plan 台账.xlsx --inspectors 4 --days 20 -o 计划.xlsx",),
    "facts": ("riskgrade facts", "riskgrade facts --format json --policy my-policy/"),
    "template": ("riskgrade template -o 台账.xlsx",),
}  # fmt: skip
"""Examples shown at the end of each command's ``--help``."""


def default_lang() -> str:
    """Chinese unless the locale asks for English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def t(key: str, lang: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` ("zh" or "en") with ``values`` filled in."""
    zh, en = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**values)
