/**
 * The ladder diagram of one device: the client and each server it talked to as vertical lanes,
 * each message an arrow with its time and key facts. Steps carry their start, duration and
 * message names (not a time per packet): the first message is drawn at the step's start, the
 * last at its end, offers at their measured delay, the others in between. Pure.
 */
import type { ClientReport } from '../../analysis/types.js';
import type { BootStep } from '../../flow/types.js';
import { printable } from '../analyze-text.js';
import { clip, esc } from './escape.js';

export interface LadderMessage {
  /** Epoch seconds (approximate inside a step, see above). */
  time: number;
  /** The server lane (an address, or a placeholder for a question nobody answered). */
  lane: string;
  /** The role the server plays in this message (DHCP, proxyDHCP, TFTP…). */
  role: string;
  toServer: boolean;
  label: string;
  ok: boolean;
}

/** A device with a huge exchange (a DHCP INFORM storm) still gets a readable diagram. */
export const MAX_ARROWS = 150;

const FROM_CLIENT = new Set(['DISCOVER', 'REQUEST', 'DECLINE', 'RELEASE', 'INFORM', 'SOLICIT', 'CONFIRM', 'RENEW', 'REBIND', 'INFORMATION-REQUEST', 'RS']);

export function ladderMessages(steps: readonly BootStep[]): LadderMessage[] {
  const out: LadderMessage[] = [];
  for (const s of steps) out.push(...stepMessages(s));
  return out;
}

function stepMessages(s: BootStep): LadderMessage[] {
  const end = s.start + s.duration;
  switch (s.kind) {
    case 'dhcp4':
    case 'proxydhcp': {
      const role = s.kind === 'dhcp4' ? 'DHCP' : 'proxyDHCP';
      const offers = s.kind === 'dhcp4' ? s.offers : [];
      const fallback = s.server ?? offers[0]?.server ?? (s.kind === 'dhcp4' ? '255.255.255.255' : 'proxyDHCP (no answer)');
      const unanswered = s.server === null && offers.length === 0;
      let offer = 0;
      const list = runs(s.messages).map((r) => ({ ...r, offer: r.name === 'OFFER' && r.count === 1 ? offers[offer++] : undefined }));
      const times = timesOf(s.start, end, list.map((r) => (r.offer ? s.start + r.offer.delay : null)));
      return list.map(({ name, count, offer: o }, i) => {
        const facts: string[] = [];
        if (i === 0 || name === 'DISCOVER' || name === 'REQUEST') facts.push(`xid 0x${s.xid.toString(16)}`);
        if (o) {
          if (o.proxy) facts.push('PXEClient, no address');
          if (o.yiaddr !== '0.0.0.0') facts.push(o.yiaddr);
          if (o.bootfile) facts.push(`file ${o.bootfile}`);
        } else if (name === 'ACK') {
          if (s.kind === 'dhcp4' && s.yiaddr) facts.push(s.yiaddr);
          if (s.bootfile) facts.push(`file ${s.bootfile}`);
        }
        return msg(times[i]!, o?.server ?? fallback, o?.proxy ? 'proxyDHCP' : role, !isReply(name), label(name, count, facts), name !== 'NAK' && !unanswered);
      });
    }
    case 'dhcp6': {
      // Unanswered: drawn to the multicast group the Solicit went to (RFC 8415 §7.1).
      const lane = s.server ?? 'ff02::1:2';
      return runs(s.messages).map(({ name, count }, i, all) => {
        const facts: string[] = i === 0 ? [`xid 0x${s.xid.toString(16)}`] : [];
        if (name === 'REPLY' || name === 'ADVERTISE') {
          facts.push(...s.addresses.slice(0, 2));
          if (s.bootfileUrl) facts.push(s.bootfileUrl);
          for (const st of s.statuses) facts.push(st.name ?? `status ${st.code}`);
        }
        return msg(between(s.start, end, i, all.length), lane, 'DHCPv6', !isReply(name), label(name, count, facts), s.ok);
      });
    }
    case 'ra': {
      const lane = s.router ?? 'ff02::2';
      return runs(s.messages).map(({ name, count }, i, all) => {
        const facts = name === 'RA' && s.advert ? [`M=${s.advert.managed ? 1 : 0} O=${s.advert.other ? 1 : 0}`] : [];
        return msg(between(s.start, end, i, all.length), lane, 'router', name === 'RS', label(name, count, facts), s.ok);
      });
    }
    case 'tftp': {
      const up = s.direction === 'upload';
      const out = [msg(s.start, s.server, 'TFTP', true, `${s.opcode} ${s.file}`, true)];
      const acked = Object.entries(s.acknowledgedOptions);
      if (acked.length > 0) out.push(msg(s.start, s.server, 'TFTP', false, `OACK ${acked.map(([k, v]) => `${k}=${v}`).join(' ')}`, true));
      if (s.blocks > 0) {
        const range = s.blocks === 1 ? 'block 1' : `blocks 1–${s.blocks}`;
        const extra = s.retransmits > 0 ? `, ${s.retransmits} resent` : '';
        out.push(msg(end, s.server, 'TFTP', up, `DATA ${range} (${s.bytes} bytes${extra})`, s.complete));
        out.push(msg(end, s.server, 'TFTP', !up, `ACK ${range}`, s.complete));
      }
      if (s.error) out.push(msg(end, s.server, 'TFTP', s.probe, `ERROR ${s.error.code} ${s.error.message}`, s.probe));
      else if (s.unreachable && !s.complete) out.push(msg(end, s.server, 'TFTP', false, s.unreachable, false));
      return out;
    }
    case 'http': {
      const out = [msg(s.start, s.server, 'HTTP', true, `${s.method} ${s.url}`, true)];
      const t = s.ttfb === null ? end : s.start + s.ttfb;
      if (s.status !== null) out.push(msg(t, s.server, 'HTTP', false, `HTTP ${s.status} (${s.bytes} bytes${s.complete ? '' : ', incomplete'})`, s.ok));
      return out;
    }
  }
}

function isReply(name: string): boolean {
  return !FROM_CLIENT.has(name);
}

/** SOLICIT, SOLICIT, SOLICIT → one arrow `SOLICIT ×3`; offers stay apart (each from its server). */
function runs(messages: readonly string[]): { name: string; count: number }[] {
  const out: { name: string; count: number }[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (last && last.name === m && m !== 'OFFER') last.count++;
    else out.push({ name: m, count: 1 });
  }
  return out;
}

function between(start: number, end: number, i: number, n: number): number {
  return n <= 1 ? start : start + ((end - start) * i) / (n - 1);
}

/** Times of n messages: the known ones (null: unknown) kept, the first at start and the last at
 *  end when unknown, the others spread evenly between their known neighbours (never backwards). */
export function timesOf(start: number, end: number, known: readonly (number | null)[]): number[] {
  const n = known.length;
  const t = known.slice();
  if (n === 0) return [];
  if (t[0] === null) t[0] = start;
  if (n > 1 && t[n - 1] === null) t[n - 1] = Math.max(end, t[0]!);
  let prev = 0;
  for (let i = 1; i < n; i++) {
    if (t[i] === null) continue;
    const a = t[prev]!, b = Math.max(t[i]!, a);
    t[i] = b;
    for (let k = prev + 1; k < i; k++) t[k] = a + ((b - a) * (k - prev)) / (i - prev);
    prev = i;
  }
  return t as number[];
}

function label(name: string, count: number, facts: string[]): string {
  return `${name}${count > 1 ? ` ×${count}` : ''}${facts.length > 0 ? ` ${facts.join(', ')}` : ''}`;
}

function msg(time: number, lane: string, role: string, toServer: boolean, text: string, ok: boolean): LadderMessage {
  return { time, lane, role, toServer, label: printable(text), ok };
}

/** Lanes in order of first appearance, each with the roles it played. */
export function ladderLanes(messages: readonly LadderMessage[]): { lane: string; roles: string[] }[] {
  const lanes = new Map<string, Set<string>>();
  for (const m of messages) {
    const roles = lanes.get(m.lane) ?? new Set<string>();
    roles.add(m.role);
    lanes.set(m.lane, roles);
  }
  return [...lanes].map(([lane, roles]) => ({ lane, roles: [...roles] }));
}

const GUTTER = 64;
const LANE_GAP = 290;
const ROW = 26;
const TOP = 44;

/** The diagram as an inline SVG (one `<g class="msg">` per arrow). */
export function renderLadder(c: ClientReport): string {
  const all = ladderMessages(c.steps);
  if (all.length === 0) return '<p class="muted">No messages.</p>';
  const shown = all.slice(0, MAX_ARROWS);
  const lanes = ladderLanes(shown);
  const x = (i: number): number => GUTTER + 40 + i * LANE_GAP;
  const laneX = new Map(lanes.map((l, i) => [l.lane, x(i + 1)]));
  // Room on the right for the last lane's centred header.
  const width = x(lanes.length) + 150;
  const height = TOP + shown.length * ROW + 16;
  const t0 = c.steps.reduce((m, s) => Math.min(m, s.start), Infinity);
  const parts: string[] = [];
  const heads = [{ text: 'client', sub: c.mac }, ...lanes.map((l) => ({ text: l.roles.join(' + '), sub: l.lane }))];
  heads.forEach((h, i) => {
    const lx = x(i);
    parts.push(`<text class="lane-head" x="${lx}" y="14">${esc(h.text)}</text>`,
      `<text class="lane-sub" x="${lx}" y="28">${esc(clip(h.sub, 34))}</text>`,
      `<line class="lane" x1="${lx}" y1="${TOP - 8}" x2="${lx}" y2="${height}"/>`);
  });
  shown.forEach((m, i) => {
    const y = TOP + i * ROW + 14;
    const cx = x(0);
    const sx = laneX.get(m.lane)!;
    const [x1, x2] = m.toServer ? [cx, sx - 4] : [sx, cx + 4];
    const room = Math.floor((sx - cx - 16) / 7);
    const text = clip(m.label, room);
    // Compact markup (arrowhead and anchors come from the stylesheet): 10,000 devices add up.
    parts.push(`<g class="msg${m.ok ? '' : ' bad'}">${text === m.label ? '' : `<title>${esc(m.label)}</title>`}`
      + `<text class="t" x="4" y="${y + 4}">+${(m.time - t0).toFixed(3)}</text>`
      + `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}"/>`
      + `<text class="l" x="${(cx + sx) / 2}" y="${y - 4}">${esc(text)}</text></g>`);
  });
  const more = all.length > shown.length ? `<p class="muted">${all.length - shown.length} more messages not drawn.</p>` : '';
  return `<svg class="ladder" width="${width}" height="${height}" role="img" aria-label="ladder diagram">${parts.join('')}</svg>${more}`;
}

/** The arrowheads every ladder's lines use (`marker-end` in the stylesheet), once per page. */
export function ladderDefs(): string {
  return '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    + '<marker id="ah" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z"/></marker>'
    + '<marker id="ah-bad" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L8,4L0,8z"/></marker>'
    + '</defs></svg>';
}
