"""Every sentence the command line prints, in Chinese and English."""

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
    "rows_summary": (
        "行数 {rows} · 已评级 {graded} · 失败 {failed}",
        "rows {rows} · graded {graded} · failed {failed}",
    ),
    "bad_input": ("输入有误：{error}", "bad input: {error}"),
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
}


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
