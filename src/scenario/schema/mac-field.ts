/** The `mac:` field: one MAC, a range `a-b`, or { mac, count }. */
import { macToNumber, MAX_CLIENTS_PER_RANGE, parseMac, type MacRange } from '../mac-range.js';
import { custom } from './fields.js';
import { describeValue, unknownKeyMessage } from './messages.js';

const MAC_HINT = 'a MAC like "52:54:00:00:00:10", a range "52:54:00:00:00:10-52:54:00:00:00:1f" or { mac: …, count: 16 }';

export const macField = custom((v, report): MacRange => {
  const bad: MacRange = { first: '00:00:00:00:00:00', count: 0 };
  if (typeof v === 'string') {
    // A MAC is 17 characters, so a range's "-" comes right after the first one.
    const range = /^\s*(\S{17})\s*-\s*(\S+)\s*$/.exec(v);
    const [a, b] = range === null ? [v, undefined] : [range[1]!, range[2]!];
    const first = parseMac(a);
    if (first === null) {
      report(`expected ${MAC_HINT}, found ${JSON.stringify(v)}`);
      return bad;
    }
    if (b === undefined) return { first, count: 1 };
    const last = parseMac(b);
    if (last === null) {
      report(`expected the end of the MAC range to be a MAC like "52:54:00:00:00:1f", found ${JSON.stringify(b)}`);
      return bad;
    }
    const count = macToNumber(last) - macToNumber(first) + 1;
    if (count < 1) {
      report(`MAC range ${JSON.stringify(v)} ends before it starts; write the lower MAC first`);
      return bad;
    }
    if (count > MAX_CLIENTS_PER_RANGE) {
      report(`MAC range ${JSON.stringify(v)} holds ${count} clients; at most ${MAX_CLIENTS_PER_RANGE.toLocaleString('en-US')} are allowed`);
      return bad;
    }
    return { first, count };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'mac' && k !== 'count');
    if (extra.length > 0) {
      report(unknownKeyMessage(extra, ['mac', 'count']), [extra[0]!], true);
      return bad;
    }
    const first = typeof o['mac'] === 'string' ? parseMac(o['mac']) : null;
    if (first === null) {
      report(`expected a MAC like "52:54:00:00:00:10", found ${describeValue(o['mac'])}`, ['mac']);
      return bad;
    }
    const count = o['count'] ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_CLIENTS_PER_RANGE) {
      report(`expected a whole number of clients from 1 to ${MAX_CLIENTS_PER_RANGE.toLocaleString('en-US')}, found ${describeValue(count)}`, ['count']);
      return bad;
    }
    return { first, count };
  }
  report(`expected ${MAC_HINT}, found ${describeValue(v)}`);
  return bad;
});
