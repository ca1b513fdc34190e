import { describe, it, expect } from 'vitest';
import { renderJunit, xmlAttr, xmlText } from './junit.js';
import { BAD_MAC, GOOD_MAC, NASTY, nastyAnalysis, sampleAnalysis } from '../../test/cli/fixtures.js';

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// XML 1.0 Char production (minus what this report never needs: astral planes are allowed via pairs).
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decode(s: string, where: string): string {
  if (BAD_CHAR.test(s)) throw new Error(`invalid XML character in ${where}`);
  return s.replace(/&([^;]*);?/g, (m, ref: string) => {
    if (!m.endsWith(';')) throw new Error(`bare & in ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const num = /^#(\d+)$/.exec(ref) ?? /^#x([0-9a-fA-F]+)$/.exec(ref);
    if (num) return String.fromCodePoint(parseInt(num[1]!, ref[1] === 'x' ? 16 : 10));
    throw new Error(`unknown entity &${ref}; in ${where}`);
  });
}

/** A tiny well-formedness checker for the XML this report writes: elements, attributes, text, one prolog. */
function parseXml(xml: string): El {
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const root: El = { name: '#doc', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.includes('>')) throw new Error(`raw > in text at ${i}`);
    const top = stack[stack.length - 1]!;
    if (stack.length === 1 && text.trim() !== '') throw new Error('text outside the root element');
    top.text += decode(text, `text at ${i}`);
    if (lt === -1) break;
    i = lt + 1;
    if (xml[i] === '/') {
      const name = NAME.exec(xml.slice(i + 1))?.[0];
      if (!name || name !== top.name) throw new Error(`</${name}> closes <${top.name}> at ${i}`);
      i += 1 + name.length;
      if (xml[i] !== '>') throw new Error(`bad end tag at ${i}`);
      i++;
      stack.pop();
      continue;
    }
    const name = NAME.exec(xml.slice(i))?.[0];
    if (!name) throw new Error(`bad tag at ${i}`);
    i += name.length;
    const el: El = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const m = /^\s+([A-Za-z_][\w.-]*)="([^"<]*)"/.exec(xml.slice(i));
      if (!m) break;
      if (m[1]! in el.attrs) throw new Error(`duplicate attribute ${m[1]}`);
      el.attrs[m[1]!] = decode(m[2]!, `attribute ${m[1]}`);
      i += m[0].length;
    }
    const end = /^\s*(\/?)>/.exec(xml.slice(i));
    if (!end) throw new Error(`unterminated <${name}> at ${i}`);
    i += end[0].length;
    top.children.push(el);
    if (!end[1]) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('not exactly one root element');
  return root.children[0]!;
}

describe('xml escaping', () => {
  it('escapes markup characters in text and attributes', () => {
    expect(xmlText('a<b>&c"d\'')).toBe('a&lt;b&gt;&amp;c"d\'');
    expect(xmlAttr('a<b>&c"d\'')).toBe('a&lt;b&gt;&amp;c&quot;d&apos;');
  });
  it('keeps whitespace in attributes as character references', () => {
    expect(xmlAttr('x\ny\tz\r')).toBe('x&#10;y&#9;z&#13;');
  });
  it('replaces characters XML cannot carry, keeps valid surrogate pairs', () => {
    expect(xmlText('a\u0000b\u001bc\uD800d\uFFFE')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFD');
    expect(xmlText('boot \u{1F680}\t\n')).toBe('boot \u{1F680}\t\n');
  });
  it('the checker itself rejects broken XML', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow(/bare &/);
    expect(() => parseXml('<a>\u0000</a>')).toThrow(/invalid XML character/);
    expect(() => parseXml('<a>')).toThrow(/unclosed/);
  });
});

describe('renderJunit', () => {
  it('has one testsuite, one testcase per client, a failure for the client with errors', () => {
    const a = sampleAnalysis();
    const suite = parseXml(renderJunit(a));
    expect(suite.name).toBe('testsuite');
    expect(suite.attrs['name']).toBe(`pxecheck analyze ${a.file}`);
    const cases = suite.children;
    expect(cases.every((c) => c.name === 'testcase' && c.attrs['classname'] === a.file)).toBe(true);
    expect(cases.map((c) => c.attrs['name'])).toEqual([`client ${GOOD_MAC}`, `client ${BAD_MAC}`, 'capture']);
    expect(suite.attrs['tests']).toBe('3');
    expect(suite.attrs['failures']).toBe('1');

    const [good, bad, capture] = cases;
    expect(good!.children.map((c) => c.name)).toEqual(['system-out']);
    expect(good!.children[0]!.text).toContain('GET http://198.51.100.1/boot.ipxe');
    expect(good!.attrs['time']).toBe('3.520');
    const failure = bad!.children.find((c) => c.name === 'failure')!;
    expect(failure.attrs['type']).toBe('dhcp.nak');
    expect(failure.attrs['message']).toBe('Server 198.51.100.1 NAKed the REQUEST for 198.51.100.77');
    expect(failure.text).toContain('hint: The requested address is not valid');
    // The capture-wide finding is a warning: reported, not a failure.
    expect(capture!.children.map((c) => c.name)).toEqual(['system-out']);
    expect(capture!.children[0]!.text).toContain('capture.truncated');
  });

  it('stays well-formed with markup and control characters in names and messages', () => {
    const a = nastyAnalysis();
    const xml = renderJunit(a);
    const suite = parseXml(xml);
    const safe = NASTY.replace(/[\u0000\u001b\uD800]/g, '\uFFFD');
    expect(suite.attrs['name']).toBe(`pxecheck analyze captures/${safe}.pcap`);
    expect(suite.children[0]!.attrs['classname']).toBe(`captures/${safe}.pcap`);
    const bad = suite.children[1]!.children.find((c) => c.name === 'failure')!;
    expect(bad.attrs['message']).toBe(`server said ${safe}`);
    const capture = suite.children.find((c) => c.attrs['name'] === 'capture')!;
    const failure = capture.children.find((c) => c.name === 'failure')!;
    expect(failure.attrs['type']).toBe('tftp.error');
    expect(failure.text).toContain(`capture-wide ${safe}`);
    expect(suite.attrs['failures']).toBe('2');
  });
});
