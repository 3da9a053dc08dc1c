// The same account as sop-explain.ts in Simplified Chinese, line for line (headings, indented details), in a manager's
// words: no rule kinds or violation codes. Names from the file (titles without title_zh, zones, questions) stay as written.
import type { CompiledSop, Condition, Rule, Schedule, SequenceStep, Verify } from './compiled.ts';
import { durationText } from './message-text.ts';

const d = (ms: number): string => durationText(ms, 'zh');

export function explainSopZh(sop: CompiledSop): string {
  const lines: string[] = [];
  lines.push(`${sop.titleZh ?? sop.title}（${sop.id}，第 ${sop.revision ?? 1} 版）`);
  lines.push(`摄像头：${sop.cameras.includes('*') ? '全部摄像头' : sop.cameras.join('、')}。`);
  const zoneLines = Object.entries(sop.zones).map(([camera, byName]) => {
    const where = camera === '*' ? '所有摄像头' : `摄像头 ${camera}`;
    return `  ${where}：${Object.keys(byName).join('、')}`;
  });
  lines.push(zoneLines.length > 0 ? `区域：\n${zoneLines.join('\n')}` : '区域：无（规则查看整个画面）。');
  for (const [i, rule] of sop.rules.entries()) {
    lines.push('', `${i + 1}. ${rule.titleZh ?? rule.title}`);
    lines.push(...explainRule(rule).map((l) => `   ${l}`));
  }
  return lines.join('\n') + '\n';
}

const SEVERITY = { low: '低', medium: '中', high: '高' } as const;

function explainRule(rule: Rule): string[] {
  const out: string[] = [];
  if (!rule.enabled) out.push('已关闭：这条规则不检查任何内容。');
  switch (rule.kind) {
    case 'duration':
      out.push('每个人分开计算：每个人的每一次都单独判断。');
      if (rule.minMs !== undefined) out.push(`${episode(rule.when)}不到 ${d(rule.minMs)}时提醒（时间太短）。`);
      if (rule.maxMs !== undefined) out.push(`${episode(rule.when)}超过 ${d(rule.maxMs)}时立即提醒（时间太长）。`);
      break;
    case 'forbidden': {
      const held = rule.forMs > 0 ? `持续 ${d(rule.forMs)}或更久` : '';
      if (!rule.verify) {
        out.push(`${phrase(rule.when)}${held}时提醒（不允许）。`);
      } else {
        out.push(`${phrase(rule.when)}${held}时，${ask(rule.verify)}`);
        out.push(`只有模型回答“${rule.verify.expect === 'yes' ? '否' : '是'}”时才提醒。`);
      }
      out.push(rule.verify?.per === 'subject'
        ? '每个人分开计算：每人一个问题、一条提醒。'
        : `按次数而不是人数计算：同时出现的几个人合成一条提醒${rule.verify ? '，也只问一次' : ''}。`);
      break;
    }
    case 'required':
      out.push('看整个场景：任何人满足条件都算有人。');
      out.push(`${window(rule.schedule)}，只要${negate(rule.when)}超过 ${d(rule.maxGapMs)}就提醒（空缺）。`);
      break;
    case 'sequence':
      out.push(`每当${phrase(rule.trigger)}，开始一轮流程。`);
      out.push(`这一轮必须在 ${d(rule.withinMs)}内${rule.order === 'strict' ? '按顺序' : '以任意顺序'}完成以下步骤：`);
      out.push(...rule.steps.map((s, j) => `  ${j + 1}. ${step(s)}`));
      out.push(
        `步骤没有看到${rule.order === 'strict' ? '、顺序不对' : ''}、没在 ${d(rule.withinMs)}内完成` +
          `${rule.steps.some((s) => s.verify) ? '，或模型没有确认某个步骤' : ''}时提醒。`,
      );
      out.push(`如果 ${d(rule.idleMs)}内既没有触发也没有任何步骤，这一轮提前结束。`);
      break;
  }
  out.push(`严重程度：${SEVERITY[rule.severity]}。${rule.shadow ? '试运行：只记录供复核，不发送提醒。' : ''}`);
  out.push(`画面要持续 ${d(rule.smoothing.enterMs)}才算开始，消失 ${d(rule.smoothing.exitMs)}才算结束（避免检测闪烁造成误报）。`);
  return out;
}

function step(s: SequenceStep): string {
  const held = s.minMs > 0 ? `，至少 ${d(s.minMs)}` : '';
  const check = s.verify ? `然后${ask(s.verify)}` : '只用检测器判断，不问模型。';
  return `${s.titleZh ?? s.title}：${phrase(s.detect)}${held}。${check}`;
}

function ask(v: Verify): string {
  return `用 ${v.frames} 张画面问模型：“${v.question}”；合规的回答是“${v.expect === 'yes' ? '是' : '否'}”。` +
    '模型不确定或无法连接时，交给人来复核。';
}

const DAY_NAMES = { mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六', sun: '周日' } as const;

function window(s: Schedule | undefined): string {
  if (!s) return '全天';
  const days = s.days.length === 7 ? '每天' : s.days.map((x) => DAY_NAMES[x]).join('、');
  const crosses = s.toMin <= s.fromMin ? '（跨午夜）' : '';
  return `${days} ${clock(s.fromMin)} 至 ${clock(s.toMin)}${crosses}（时区 ${s.tz}）`;
}

function clock(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

function where(zone: string): string {
  return zone === '*' ? '画面中任何位置' : `区域「${zone}」`;
}

function episode(c: Condition): string {
  if (c.type === 'person_in') return `每次有人在区域「${c.zone}」停留`;
  if (c.type === 'hands_in') return `每次手在区域「${c.zone}」内`;
  return `每次${phrase(c)}`;
}

const LABEL_ZH: Record<string, string> = {
  person: '人', 'cell phone': '手机', cup: '杯子', knife: '刀', bottle: '瓶子', bowl: '碗', laptop: '笔记本电脑', sink: '水槽',
};

function label(l: string): string {
  return LABEL_ZH[l] ?? l;
}

/** The condition as a clause: “有人在区域「grinder」”. */
export function phrase(c: Condition): string {
  switch (c.type) {
    case 'person_in':
      return `有人在区域「${c.zone}」`;
    case 'hands_in':
      return `手在区域「${c.zone}」内`;
    case 'object':
      return `在${where(c.zone)}看到${label(c.label)}${c.minScore === undefined ? '' : `（检测分数至少 ${c.minScore}）`}`;
    case 'count':
      return `${where(c.zone)}的${label(c.of)}数量${bounds(c.gte, c.lte)}`;
    case 'all':
      return c.of.length === 1 && c.of[0] ? phrase(c.of[0]) : `以下全部成立：${c.of.map((x) => `（${phrase(x)}）`).join('且')}`;
    case 'any':
      return c.of.length === 1 && c.of[0] ? phrase(c.of[0]) : `以下任一成立：${c.of.map((x) => `（${phrase(x)}）`).join('或')}`;
    case 'not':
      return negate(c.of);
  }
}

function negate(c: Condition): string {
  switch (c.type) {
    case 'person_in':
      return `区域「${c.zone}」没有人`;
    case 'hands_in':
      return `区域「${c.zone}」内没有手`;
    case 'object':
      return `${where(c.zone)}没有看到${label(c.label)}`;
    case 'not':
      return phrase(c.of);
    case 'count':
    case 'all':
    case 'any':
      return `并非${phrase(c)}`;
  }
}

function bounds(gte: number | undefined, lte: number | undefined): string {
  if (gte !== undefined && lte !== undefined) return gte === lte ? `正好 ${gte}` : `在 ${gte} 到 ${lte} 之间`;
  if (gte !== undefined) return `至少 ${gte}`;
  return `至多 ${lte ?? 0}`;
}
