/**
 * What iPXE does with a script, without doing it: the interpreter walks the script and returns the
 * actions iPXE would take (fetch, chain, boot, echo, exit) in order. Pure; the runner fetches.
 *
 * Fetch outcomes are not known here: every fetch is assumed to succeed unless its URL is in
 * `ctx.failedUrls`. A runner whose fetch failed re-runs the interpreter with that URL added, which
 * follows the script's `|| …` branch exactly as iPXE would.
 *
 * Modelled after iPXE's own rules (src/core/exec.c): a line splits on whitespace (no quoting) into
 * commands joined by `||` (run if the last failed), `&&` (if it succeeded) and `;`; each command's
 * settings are expanded just before it runs; a skipped command keeps the previous status; a line
 * that ends failed stops the script; `goto` and `exit` end the line.
 */

export type IpxeActionKind = 'fetch' | 'boot' | 'chain' | 'echo' | 'exit' | 'error' | 'warning';

export interface IpxeAction {
  kind: IpxeActionKind;
  /** 1-based line in the script. */
  line: number;
  /** fetch / chain: the absolute URL (resolved against ctx.baseUrl). */
  url?: string;
  /** fetch: the image name (`--name`, else the URL's last path segment); boot: the image booted. */
  name?: string;
  /** fetch / chain: the command line given to the image. */
  args?: string[];
  /** fetch: which command asked for it (kernel, initrd, imgfetch, module, …). */
  command?: string;
  /** echo / error / warning / exit: the text. */
  text?: string;
  /** exit: the exit code. */
  code?: number;
}

export interface IpxeContext {
  /** iPXE settings: mac, ip, next-server, filename, buildarch, platform, … (net0/ names too). */
  vars: ReadonlyMap<string, string>;
  /** The script's own URL, for relative URLs. */
  baseUrl?: string;
  /** URLs whose fetch failed (chain, kernel, initrd, …). */
  failedUrls?: ReadonlySet<string>;
  /** Pretend `boot` returned (the image failed to start) and go on with the script. */
  bootFails?: boolean;
  /** Lines executed before the run is declared a loop. Default 10000. */
  maxSteps?: number;
}

export interface IpxeResult {
  actions: IpxeAction[];
  /** `line N: …` for every error action, for quick reporting. */
  errors: string[];
  /** The settings when the script stopped. */
  vars: Map<string, string>;
}

const FETCH_COMMANDS = new Set(['kernel', 'initrd', 'imgfetch', 'module', 'imgload', 'imgselect']);
/** Commands that change nothing a scenario can observe; they succeed. */
const NO_OP_COMMANDS = new Set([
  'dhcp', 'ifopen', 'ifconf', 'ifclose', 'ifstat', 'route', 'sleep', 'ntp', 'sync', 'params', 'param',
  'console', 'colour', 'cpair', 'imgfree', 'imgstat', 'imgverify', 'imgtrust', 'vlan_create', 'vlan_destroy',
  'nslookup', 'time', 'login', 'certstat', 'certstore', 'certfree', 'pciscan', 'lotest', 'ipstat',
]);

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Resolve `url` against `base` the way iPXE resolves against the current working URI. */
export function resolveUrl(url: string, base: string | undefined): string {
  if (SCHEME_RE.test(url) || base === undefined) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

/** Look a setting up: exact name, then without its scope (`net0/mac` → `mac`), then under net0/. */
export function lookupSetting(vars: ReadonlyMap<string, string>, name: string): string | undefined {
  const exact = vars.get(name);
  if (exact !== undefined) return exact;
  const slash = name.lastIndexOf('/');
  if (slash >= 0) return vars.get(name.slice(slash + 1));
  return vars.get(`net0/${name}`);
}

function formatSetting(value: string, type: string | undefined): string {
  switch (type) {
    case 'hexhyp':
      return value.replace(/:/g, '-');
    case 'hexraw':
      return value.replace(/:/g, '');
    case 'uristring':
      return encodeURIComponent(value);
    default:
      return value;
  }
}

/** Expand `${name}` / `${name:type}` over a line; unset settings expand to nothing, as in iPXE. */
export function expandSettings(line: string, vars: ReadonlyMap<string, string>): string {
  return line.replace(/\$\{([^}:]*)(?::([^}]*))?\}/g, (_, name: string, type: string | undefined) =>
    formatSetting(lookupSetting(vars, name) ?? '', type));
}

/** One command of a line (unexpanded tokens) and the operator that follows it. */
interface Segment {
  tokens: string[];
  then: '||' | '&&' | ';' | null;
}

/**
 * Split a line as iPXE does: on whitespace only (no quoting), `||`, `&&` and `;` separate
 * commands, and a token starting with `#` comments out the rest of the line.
 */
export function splitCommands(line: string): Segment[] {
  const out: Segment[] = [];
  let tokens: string[] = [];
  for (const t of line.split(/\s+/)) {
    if (t === '') continue;
    if (t.startsWith('#')) break;
    if (t === '||' || t === '&&' || t === ';') {
      out.push({ tokens, then: t });
      tokens = [];
    } else tokens.push(t);
  }
  out.push({ tokens, then: null });
  return out;
}

/** Pull `-x VALUE` / `--long VALUE` / `--flag` options off the front of argv. */
function takeOptions(argv: string[], withValue: ReadonlySet<string>): { opts: Map<string, string>; rest: string[] } {
  const opts = new Map<string, string>();
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-') {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      opts.set(a.slice(0, eq), a.slice(eq + 1));
      i++;
    } else if (withValue.has(a) && i + 1 < argv.length) {
      opts.set(a, argv[i + 1]!);
      i += 2;
    } else {
      opts.set(a, '');
      i++;
    }
  }
  return { opts, rest: argv.slice(i) };
}

const IMAGE_OPTIONS = new Set(['-n', '--name', '-t', '--timeout']);
const CHOOSE_OPTIONS = new Set(['-d', '--default', '-t', '--timeout', '-m', '--menu']);
const ITEM_OPTIONS = new Set(['-k', '--key', '-m', '--menu']);
const PROMPT_OPTIONS = new Set(['-k', '--key', '-t', '--timeout']);

function basename(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || path;
}

/** How a command ended: ok/failed, and whether the line (goto) or the script must stop. */
interface Outcome {
  ok: boolean;
  stop?: 'line' | 'script';
}

class Interpreter {
  readonly actions: IpxeAction[] = [];
  readonly errors: string[] = [];
  readonly vars: Map<string, string>;
  readonly labels = new Map<string, number>();
  readonly menuItems: Array<{ label: string; gap: boolean }> = [];
  pc = 0;
  line = 0;
  selected: string | undefined;

  constructor(
    readonly lines: string[],
    readonly ctx: IpxeContext,
  ) {
    this.vars = new Map(ctx.vars);
    lines.forEach((l, i) => {
      const m = /^\s*:(\S+)/.exec(l);
      if (m !== null && !this.labels.has(m[1]!)) this.labels.set(m[1]!, i);
    });
  }

  error(text: string): void {
    this.actions.push({ kind: 'error', line: this.line, text });
    this.errors.push(`line ${this.line}: ${text}`);
  }

  warn(text: string): void {
    this.actions.push({ kind: 'warning', line: this.line, text });
  }

  run(): void {
    const maxSteps = this.ctx.maxSteps ?? 10_000;
    let steps = 0;
    while (this.pc < this.lines.length) {
      const index = this.pc++;
      this.line = index + 1;
      const raw = this.lines[index]!.trim();
      if (raw === '' || raw.startsWith('#') || raw.startsWith(':')) continue;
      if (++steps > maxSteps) {
        this.error(`stopped after ${maxSteps} lines: the script loops (check its goto targets)`);
        return;
      }
      if (this.runLine(raw) === 'script') return;
    }
  }

  /** Run one line; returns 'script' when the script ends here. */
  runLine(raw: string): 'script' | undefined {
    let ok = true;
    let run = true;
    let last = '';
    let lastReported = false;
    for (const seg of splitCommands(raw)) {
      if (run) {
        // Each command's tokens are expanded just before it runs, so `choose x && goto ${x}` works;
        // an unset setting leaves an empty argument in place.
        const argv = seg.tokens.map((t) => expandSettings(t, this.vars));
        if (argv.length > 0) {
          last = argv.join(' ');
          const errorsBefore = this.errors.length;
          const out = this.exec(argv);
          ok = out.ok;
          lastReported = this.errors.length > errorsBefore;
          if (out.stop === 'script') return 'script';
          if (out.stop === 'line') return undefined;
        } else ok = true; // an empty command (a trailing "||") succeeds
      }
      run = seg.then === '||' ? !ok : seg.then === '&&' ? ok : seg.then === ';';
    }
    if (!ok) {
      // A command that already explained its failure needs no second message.
      if (!lastReported) this.error(`"${last}" failed, so iPXE stops the script (append "|| …" to carry on)`);
      return 'script';
    }
    return undefined;
  }

  exec(argv: string[]): Outcome {
    const [cmd, ...args] = argv as [string, ...string[]];
    if (FETCH_COMMANDS.has(cmd)) return this.fetch(cmd, args);
    switch (cmd) {
      case 'set': {
        if (args.length === 0) return this.usage(cmd, 'set <setting> [value]');
        const [name, ...value] = args as [string, ...string[]];
        if (value.length === 0) this.vars.delete(name);
        else this.vars.set(name, value.join(' '));
        return { ok: true };
      }
      case 'clear':
        if (args.length !== 1) return this.usage(cmd, 'clear <setting>');
        this.vars.delete(args[0]!);
        return { ok: true };
      case 'inc': {
        if (args.length < 1) return this.usage(cmd, 'inc <setting> [increment]');
        const n = Number(lookupSetting(this.vars, args[0]!) ?? '0') + Number(args[1] ?? '1');
        this.vars.set(args[0]!, String(Number.isFinite(n) ? n : 0));
        return { ok: true };
      }
      case 'isset':
        if (args.length !== 1) return this.usage(cmd, 'isset <value>');
        return { ok: args[0] !== '' };
      case 'iseq':
        if (args.length !== 2) return this.usage(cmd, 'iseq <value1> <value2>');
        return { ok: args[0] === args[1] };
      case 'goto': {
        if (args.length !== 1) return this.usage(cmd, 'goto <label>');
        const target = this.labels.get(args[0]!);
        if (target === undefined) {
          this.error(`goto ${args[0]!}: no such label`);
          return { ok: false };
        }
        this.pc = target;
        return { ok: true, stop: 'line' };
      }
      case 'echo': {
        const noNewline = args[0] === '-n';
        this.actions.push({ kind: 'echo', line: this.line, text: (noNewline ? args.slice(1) : args).join(' ') });
        return { ok: true };
      }
      case 'show':
        for (const name of args) this.actions.push({ kind: 'echo', line: this.line, text: `${name} = ${lookupSetting(this.vars, name) ?? ''}` });
        return { ok: true };
      case 'exit': {
        const code = args[0] === undefined ? 0 : Number(args[0]);
        this.actions.push({ kind: 'exit', line: this.line, code: Number.isFinite(code) ? code : 1 });
        return { ok: true, stop: 'script' };
      }
      case 'chain':
      case 'imgexec':
        return this.chain(cmd, args);
      case 'boot':
        return this.boot(args);
      case 'imgargs': {
        if (args.length < 1) return this.usage(cmd, 'imgargs <image> [args…]');
        const target = [...this.actions].reverse().find((a) => a.kind === 'fetch' && a.name === args[0]);
        if (target === undefined) {
          this.error(`imgargs: no image named "${args[0]!}" was fetched`);
          return { ok: false };
        }
        target.args = args.slice(1);
        return { ok: true };
      }
      case 'menu':
        this.menuItems.length = 0;
        return { ok: true };
      case 'item': {
        const { opts, rest } = takeOptions(args, ITEM_OPTIONS);
        const gap = opts.has('--gap') || rest.length === 0;
        this.menuItems.push({ label: gap ? '' : rest[0]!, gap });
        return { ok: true };
      }
      case 'choose': {
        const { opts, rest } = takeOptions(args, CHOOSE_OPTIONS);
        if (rest.length !== 1) return this.usage(cmd, 'choose [--default <label>] [--timeout <ms>] <setting>');
        // Nobody is at the keyboard: iPXE takes the default once the timeout runs out.
        const fallback = opts.get('--default') ?? opts.get('-d') ?? this.menuItems.find((i) => !i.gap)?.label;
        if (!opts.has('--timeout') && !opts.has('-t')) this.warn('choose has no --timeout: a real client waits for a key; taking the default');
        if (fallback === undefined) {
          this.error('choose: the menu has no items');
          return { ok: false };
        }
        this.vars.set(rest[0]!, fallback);
        return { ok: true };
      }
      case 'prompt': {
        const { opts } = takeOptions(args, PROMPT_OPTIONS);
        if (!opts.has('--timeout') && !opts.has('-t')) this.warn('prompt has no --timeout: a real client waits for a key forever');
        return { ok: false }; // no key is pressed
      }
      case 'cpuid':
        // The usual use is `cpuid --ext 29` (64-bit capable).
        return { ok: lookupSetting(this.vars, 'buildarch') === 'x86_64' };
      case 'reboot':
      case 'poweroff':
        this.actions.push({ kind: 'exit', line: this.line, code: 0, text: cmd });
        return { ok: true, stop: 'script' };
      case 'shell':
      case 'autoboot':
      case 'sanboot':
      case 'sanhook':
        this.warn(`${cmd} is not modelled by pxecheck; the script stops here`);
        return { ok: true, stop: 'script' };
      default:
        if (NO_OP_COMMANDS.has(cmd)) return { ok: true };
        this.warn(`unknown command "${cmd}": not modelled, assumed to succeed`);
        return { ok: true };
    }
  }

  usage(cmd: string, usage: string): Outcome {
    this.error(`${cmd}: wrong arguments; usage: ${usage}`);
    return { ok: false };
  }

  fetch(cmd: string, args: string[]): Outcome {
    const { opts, rest } = takeOptions(args, IMAGE_OPTIONS);
    if (rest.length === 0) return this.usage(cmd, `${cmd} [--name <name>] <uri> [args…]`);
    const url = resolveUrl(rest[0]!, this.ctx.baseUrl);
    const name = opts.get('--name') ?? opts.get('-n') ?? basename(url);
    this.actions.push({ kind: 'fetch', line: this.line, command: cmd, url, name, args: rest.slice(1) });
    if (this.ctx.failedUrls?.has(url) === true) return { ok: false };
    if (cmd === 'kernel' || cmd === 'imgselect' || cmd === 'imgload') this.selected = name;
    return { ok: true };
  }

  chain(cmd: string, args: string[]): Outcome {
    const { rest } = takeOptions(args, IMAGE_OPTIONS);
    if (rest.length === 0) return cmd === 'imgexec' ? this.boot([]) : this.usage(cmd, 'chain <uri> [args…]');
    const url = resolveUrl(rest[0]!, this.ctx.baseUrl);
    this.actions.push({ kind: 'chain', line: this.line, url, name: basename(url), args: rest.slice(1) });
    if (this.ctx.failedUrls?.has(url) === true) return { ok: false };
    return { ok: true, stop: 'script' }; // the chained image replaces this script
  }

  boot(args: string[]): Outcome {
    const name = args[0] ?? this.selected;
    if (name === undefined) {
      this.error('boot: no image loaded (use kernel or chain first)');
      return { ok: false };
    }
    this.actions.push({ kind: 'boot', line: this.line, name });
    if (this.ctx.bootFails === true) return { ok: false };
    return { ok: true, stop: 'script' };
  }
}

/** Walk an iPXE script; see the module comment for the model. */
export function interpretIpxeScript(text: string, ctx: IpxeContext): IpxeResult {
  const lines = text.split(/\r?\n/);
  const interp = new Interpreter(lines, ctx);
  if (!/^#!\s*(ipxe|gpxe)\b/i.test(lines[0]?.trim() ?? '')) {
    interp.line = 1;
    interp.error(`not an iPXE script: the first line must be "#!ipxe", found ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
    return { actions: interp.actions, errors: interp.errors, vars: interp.vars };
  }
  interp.run();
  return { actions: interp.actions, errors: interp.errors, vars: interp.vars };
}

/** True when a fetched body is an iPXE script (the runner recurses into it after a chain). */
export function isIpxeScript(body: string): boolean {
  return /^#!\s*(ipxe|gpxe)\b/i.test(body.trimStart());
}
