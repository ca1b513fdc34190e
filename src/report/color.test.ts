import { describe, it, expect } from 'vitest';
import { ANSI, PLAIN, colorEnabled, palette } from './color.js';

describe('colorEnabled', () => {
  const tty = { isTTY: true, toFile: false };
  it('colours a terminal with no NO_COLOR', () => {
    expect(colorEnabled({ ...tty, env: {} })).toBe(true);
  });
  it('honours NO_COLOR with any non-empty value, ignores an empty one', () => {
    expect(colorEnabled({ ...tty, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colorEnabled({ ...tty, env: { NO_COLOR: 'false' } })).toBe(false);
    expect(colorEnabled({ ...tty, env: { NO_COLOR: '' } })).toBe(true);
  });
  it('never colours a pipe or a file', () => {
    expect(colorEnabled({ isTTY: false, toFile: false, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: undefined, toFile: false, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: true, toFile: true, env: {} })).toBe(false);
  });
});

describe('palette', () => {
  it('maps severities to red, yellow and dim', () => {
    expect(ANSI.severity('error', 'x')).toBe('\x1b[31mx\x1b[39m');
    expect(ANSI.severity('warning', 'x')).toBe('\x1b[33mx\x1b[39m');
    expect(ANSI.severity('info', 'x')).toBe('\x1b[2mx\x1b[22m');
  });
  it('plain leaves text alone', () => {
    expect(palette(false)).toBe(PLAIN);
    expect(PLAIN.severity('error', 'x') + PLAIN.fail('y') + PLAIN.bold('z')).toBe('xyz');
  });
});
