import { describe, expect, it } from 'vitest';
import { compactState } from './builder-state.js';
import { addFrame, FRAME_SAMPLE, FrameSample, sampledFrames } from './frames.js';
import { SharedStrings } from './shared-strings.js';
import type { Dhcp4State } from './state.js';

function dhcp4State(): Dhcp4State {
  const sample = new FrameSample();
  for (let f = 1; f <= 80; f++) sample.add(f);
  return {
    kind: 'dhcp4', frames: sample.frames, frameCount: sample.frameCount, framesTrimmed: false, last: 2,
    step: {
      kind: 'dhcp4', start: 1, duration: 1, ok: true, frames: [], xid: 7, messages: ['DISCOVER', 'OFFER'], offers: [],
      server: '198.51.100.1', yiaddr: null, bootfile: null, nextServer: null, stage: 'firmware', vendorClass: null,
      userClass: ['a'], arch: 7, leaseTime: null, relay: null, ackOptions: [1, 3],
    },
    stageKnown: true, firstDiscover: 1, discoverFrame: 1, firstOffer: 2, pendingRequest: null, requestSeen: false, discoverSecs: -1,
    discoversAfterOffer: 0, offerVendorClass: [null], offerCount: 1, offerFrames: [2], nak: null, ack: null, bootfileFrame: 0, decline: null, untypedRequests: 0, cutReply: null, answerAt: [], addressedBy: null,
  };
}

describe('compactState', () => {
  it('keeps every value and key order of a step, and the step still grows afterwards', () => {
    const st = dhcp4State();
    const before = JSON.stringify({ ...st, framesTrimmed: null, frames: sampledFrames(st) });
    const messages = st.step.messages;
    compactState(st);
    expect(st.step.messages).not.toBe(messages);
    expect(JSON.stringify({ ...st, framesTrimmed: null, frames: sampledFrames(st) })).toBe(before);
    st.step.messages.push('REQUEST');
    addFrame(st, 81);
    expect(st.step.messages).toEqual(['DISCOVER', 'OFFER', 'REQUEST']);
    expect(st.frameCount).toBe(81);
    expect(sampledFrames(st).at(-1)).toBe(81);
    expect(sampledFrames(st)).toHaveLength(64);
  });

  it('compacts a step again only after it got another packet', () => {
    const st = dhcp4State();
    compactState(st);
    const messages = st.step.messages;
    compactState(st);
    expect(st.step.messages).toBe(messages);
    addFrame(st, 81);
    compactState(st);
    expect(st.step.messages).not.toBe(messages);
    expect(st.step.messages).toEqual(messages);
  });

  it('keeps a shared frozen list shared (ACK option codes interned once for every step)', () => {
    const a = dhcp4State();
    const b = dhcp4State();
    const shared = Object.freeze([1, 3, 6, 51, 54]) as number[];
    a.step.ackOptions = shared;
    b.step.ackOptions = shared;
    compactState(a);
    compactState(b);
    expect(a.step.ackOptions).toBe(shared);
    expect(b.step.ackOptions).toBe(a.step.ackOptions);
    expect(a.step.messages).toEqual(['DISCOVER', 'OFFER']);
  });

  it('keeps a shared (frozen) list shared: copying it would give every step its own again', () => {
    const strings = new SharedStrings();
    const a = dhcp4State();
    const b = dhcp4State();
    a.step.ackOptions = strings.numbers([1, 3, 6]);
    b.step.ackOptions = strings.numbers([1, 3, 6]);
    compactState(a);
    compactState(b);
    expect(a.step.ackOptions).toBe(b.step.ackOptions);
    expect(a.step.ackOptions).toEqual([1, 3, 6]);
  });
});

describe('frame sample', () => {
  it('keeps the first and the last FRAME_SAMPLE frames in capture order at every count', () => {
    for (const n of [0, 1, FRAME_SAMPLE, 2 * FRAME_SAMPLE - 1, 2 * FRAME_SAMPLE, 2 * FRAME_SAMPLE + 1, 3 * FRAME_SAMPLE, 1000, 1001]) {
      const s = new FrameSample();
      for (let f = 1; f <= n; f++) s.add(f * 3);
      const all = Array.from({ length: n }, (_, i) => (i + 1) * 3);
      const want = n <= 2 * FRAME_SAMPLE ? all : [...all.slice(0, FRAME_SAMPLE), ...all.slice(n - FRAME_SAMPLE)];
      expect(s.toArray(), `after ${n} frames`).toEqual(want);
      expect(s.count).toBe(n);
    }
  });
});

describe('SharedStrings.texts', () => {
  it('gives one frozen copy per list of texts, and never one list for two different ones', () => {
    const strings = new SharedStrings();
    const first = strings.texts(['198.51.100.1']);
    expect(strings.texts(['198.51.100.1'])).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(strings.texts([null])).toBe(strings.texts([null]));
    expect(strings.texts([null])).not.toBe(strings.texts(['null']));
    expect(strings.texts(['-'])).not.toBe(strings.texts([null]));
    expect(strings.texts(['a,1:b'])).not.toBe(strings.texts(['a', 'b']));
    expect(strings.texts(['a', 'b'])).toEqual(['a', 'b']);
    expect(strings.texts([])).toEqual([]);
  });
});

describe('SharedStrings.record', () => {
  it('gives one frozen copy per option record, keys in their order', () => {
    const strings = new SharedStrings();
    const first = strings.record({ blksize: '1468', tsize: '0' });
    expect(strings.record({ blksize: '1468', tsize: '0' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const swapped = strings.record({ tsize: '0', blksize: '1468' });
    expect(swapped).not.toBe(first);
    expect(Object.keys(swapped)).toEqual(['tsize', 'blksize']);
    expect(strings.record({ blksize: '1468', tsize: '1' })).not.toBe(first);
    // Names and values never hold a NUL (TFTP ends each with one): the key cannot run two together.
    expect(strings.record({ 'a': 'b', 'c': 'd' })).not.toBe(strings.record({ 'a': 'b\0c', 'x': 'd' }));
  });
});
