import { describe, expect, it } from 'vitest';
import { renderRunJunit } from './run-junit.js';
import { sampleRun } from './run-fixture.test-kit.js';

describe('renderRunJunit', () => {
  const xml = renderRunJunit(sampleRun());

  it('has a testcase per client step, classname scenario/client', () => {
    expect(xml).toContain('<testsuites name="pxecheck run" tests="4" failures="2" errors="0" time="9.013">');
    expect(xml).toContain('<testsuite name="uefi-ipxe" file="scenarios/uefi-ipxe.yaml" tests="4" failures="2" errors="0" skipped="1" time="9.013">');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain('<testcase classname="uefi-ipxe/pc1" name="1. firmware DORA" time="5.412">');
    expect(xml).toContain('<failure message="firmware DORA took 5.412 s, budget 5 s" type="dhcp">');
    expect(xml).toContain('<skipped message="not run: step 2 failed"/>');
    expect(xml).toContain('<testcase classname="uefi-ipxe/pc2" name="1. DORA" time="2.002">');
  });

  it('escapes names, messages and control characters', () => {
    expect(xml).toContain('name="2. fetch &lt;ipxe&gt; &amp; &quot;more&quot;"');
    expect(xml).toContain('for a&lt;b&amp;c\uFFFD.efi\nsize');
    expect(xml).not.toContain('\u0000');
    // Well-formed enough for a strict parser: every testcase closes.
    expect(xml.match(/<\/testcase>/g)).toHaveLength(4);
  });
});
