import { describe, expect, it } from 'vitest';
import { escapeRegExp, interpolate, interpolateDeep, macVariables, referencedVariables, UnknownVariableError, variableReferences } from './vars.js';

describe('interpolate', () => {
  const vars = new Map([['bootfile', 'ipxe.efi'], ['next-server', '198.51.100.1'], ['mac-upper-plain', '525400000EF1']]);

  it('replaces every reference', () => {
    expect(interpolate('tftp://${next-server}/${bootfile}', vars)).toBe('tftp://198.51.100.1/ipxe.efi');
    expect(interpolate('SEP${mac-upper-plain}.cnf.xml', vars)).toBe('SEP525400000EF1.cnf.xml');
    expect(interpolate('no variables', vars)).toBe('no variables');
  });

  it('accepts a plain record too', () => {
    expect(interpolate('${a}-${a}', { a: 'x' })).toBe('x-x');
  });

  it('writes $${ as a literal ${', () => {
    expect(interpolate('$${bootfile} is ${bootfile}', vars)).toBe('${bootfile} is ipxe.efi');
  });

  it('names the unknown variable and the step', () => {
    const run = () => interpolate('${yiaddr}', vars, 'client pc1, step 2 "tftp"');
    expect(run).toThrow(UnknownVariableError);
    expect(run).toThrow('client pc1, step 2 "tftp": variable ${yiaddr} is not set (set now: bootfile, mac-upper-plain, next-server)');
  });

  it('can escape values for a regex', () => {
    expect(interpolate('^${next-server}$', vars, undefined, escapeRegExp)).toBe('^198\\.51\\.100\\.1$');
  });
});

describe('referencedVariables', () => {
  it('lists references in order, skipping escaped ones', () => {
    expect(referencedVariables('${a}/${b-c}/$${d}/${net0/mac}')).toEqual(['a', 'b-c', 'net0/mac']);
    expect(variableReferences('x${a}')).toEqual([{ name: 'a', offset: 1 }]);
    expect(referencedVariables('plain')).toEqual([]);
  });
});

describe('macVariables', () => {
  it('gives every spelling of the MAC', () => {
    expect(macVariables('52:54:00:AB:0e:f1')).toEqual({
      mac: '52:54:00:ab:0e:f1',
      'mac-hyphen': '52-54-00-ab-0e-f1',
      'mac-plain': '525400ab0ef1',
      'mac-upper-plain': '525400AB0EF1',
    });
  });
});

describe('interpolateDeep', () => {
  it('fills a step\'s fields but leaves expect and save to their owners', () => {
    const step = { kind: 'tftp', file: 'SEP${m}.cnf.xml', blksize: 1468, list: ['${m}'], expect: { body: '${m}' }, save: { x: 'body:${m}' } };
    expect(interpolateDeep(step, { m: 'ABC' })).toEqual({
      kind: 'tftp', file: 'SEPABC.cnf.xml', blksize: 1468, list: ['ABC'], expect: { body: '${m}' }, save: { x: 'body:${m}' },
    });
    expect(() => interpolateDeep({ url: '${nope}' }, {}, 'client a, step 1')).toThrow('client a, step 1: variable ${nope} is not set');
  });
});
