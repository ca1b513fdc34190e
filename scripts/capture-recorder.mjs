// One recording of a lab capture, shared by make-lab-captures.mjs and make-field-captures.mjs:
// build the lab, start the servers (recipe.setup), add the client links and start tcpdump
// (recipe.captureOn), drive the client(s) (recipe.drive), stop everything, then keep the capture
// and, in configs/<name>/, the server configs, boot.ipxe, client.txt and each QEMU's serial log.
// The lab is destroyed in a finally whatever happens.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labs } from './capture-main.mjs';

export const read = (f) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
export const count = (text, re) => (text.match(re) ?? []).length;

/**
 * @param L the lab harness (dist/lab/index.js)
 * @param o.outDir captures folder; o.name recipe name (configs/<name>); o.labName namespace prefix
 * @param o.recipe {file, second?, bootRoot?, maxMs, settleMs?, setup(lab, root) → {servers, done?, extraConfigs?},
 *   captureOn(lab) → iface, drive(lab, ctx) → {note, extraConfigs?}; QEMUs started with startQemuClient}
 */
export async function recordCapture(L, { outDir, name, labName, recipe }) {
  const started = Date.now();
  const out = join(outDir, recipe.file);
  const cfgDir = join(outDir, 'configs', name);
  const lab = await L.createLab({ name: labName, secondServer: recipe.second ?? false });
  labs.current = lab;
  try {
    const root = L.makeBootRoot(join(lab.workDir, 'boot'), recipe.bootRoot);
    const ctx = await recipe.setup(lab, root);
    const iface = recipe.captureOn(lab);
    const raw = join(lab.workDir, 'capture.pcap');
    const cap = await L.startCapture(lab, { ns: lab.ns.cli, iface, file: raw });
    const qemus = [];
    let note = '';
    const extraConfigs = [...(ctx.extraConfigs ?? [])];
    try {
      const r = await recipe.drive(lab, { ...ctx, root, maxMs: recipe.maxMs, qemus });
      note = r.note;
      extraConfigs.push(...(r.extraConfigs ?? []));
      await L.sleep(recipe.settleMs ?? 1_500);
    } finally {
      await cap.stop();
      for (const q of qemus) await lab.stop(q);
    }
    mkdirSync(outDir, { recursive: true });
    copyFileSync(raw, out);
    if (out.endsWith('.pcapng')) L.toPcapng(out);
    rmSync(cfgDir, { recursive: true, force: true });
    mkdirSync(cfgDir, { recursive: true });
    for (const s of ctx.servers) for (const f of s.configFiles) copyFileSync(join(s.dir, f), join(cfgDir, `${s.proc.label}-${f}`));
    for (const f of extraConfigs) copyFileSync(f, join(cfgDir, f.split('/').pop()));
    copyFileSync(join(root, 'boot.ipxe'), join(cfgDir, 'boot.ipxe'));
    writeFileSync(join(cfgDir, 'client.txt'), `${note}\n`);
    for (const q of qemus) {
      const serial = L.serialLogOf(lab, q.label);
      copyFileSync(serial, join(cfgDir, q.label === 'qemu' ? 'serial.log' : `${q.label}-serial.log`));
    }
  } finally {
    await lab.destroy();
    labs.current = undefined;
  }
  console.log(`${name}: ${recipe.file} ${statSync(out).size} bytes in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Starts a QEMU network boot (pushed to ctx.qemus so the recorder stops it and keeps its serial
 * log) and returns its command line for client.txt.
 */
export async function startQemuClient(L, lab, ctx, opts) {
  const q = await L.startQemu(lab, opts);
  ctx.qemus.push(q);
  return `qemu-system-x86_64 ${q.child.spawnargs.slice(5).join(' ')}`;
}

/** A QEMU boot waited for until done() or the recipe's time limit; returns the client.txt line. */
export async function bootQemuUntil(L, lab, ctx, opts, done) {
  let note = await startQemuClient(L, lab, ctx, opts);
  const ok = await L.waitFor(() => done?.() ?? false, ctx.maxMs, 500);
  note += ok ? '' : ' (stopped at the time limit)';
  return note;
}
