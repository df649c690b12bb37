/**
 * The deploy test's reading of docker/compose.yaml: parses the file (and overlays such as
 * compose.host-network.yaml, merged the way `docker compose -f a -f b` merges mappings),
 * interpolates `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$` from the environment the
 * test supplies (what an operator's .env does), and turns each service into `podman run` flags,
 * in depends_on order. Only the keys listed in KNOWN below are understood; any other key
 * throws, so an edit to compose.yaml this translator would silently drop fails the test
 * instead. Pure apart from reading the files (no podman here: test/unit/deploy-compose.test.ts).
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";

type Env = Readonly<Record<string, string | undefined>>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Every key the translator understands, by where it appears. */
const KNOWN = {
  top: ["name", "services", "secrets", "volumes"],
  service: ["build", "environment", "secrets", "volumes", "healthcheck", "restart", "stop_grace_period", "depends_on", "ports", "init", "network_mode"],
  build: ["context", "dockerfile", "args"],
  healthcheck: ["test", "interval", "timeout", "start_period", "retries"],
  secret: ["file"],
  dependency: ["condition"],
} as const;

export class ComposeError extends Error {}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function refuseUnknown(where: string, value: Json | undefined, known: readonly string[]): Obj {
  if (value === null || value === undefined) return {};
  if (!isObj(value)) throw new ComposeError(`${where}: expected a mapping`);
  for (const k of Object.keys(value)) {
    if (!known.includes(k)) throw new ComposeError(`${where}.${k}: not understood by test/deploy/compose.ts (teach it, or the deploy test no longer checks the file operators use)`);
  }
  return value;
}

/** Compose's variable interpolation on one string; a malformed `$` throws. */
export function interpolate(s: string, env: Env, where = "value"): string {
  return s.replace(/\$(\$|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|)/g, (whole, _x: string, braced: string | undefined, bare: string | undefined) => {
    if (whole === "$$") return "$";
    if (bare !== undefined) return env[bare] ?? "";
    if (braced === undefined) throw new ComposeError(`${where}: a lone "$" (write "$$" for a dollar sign)`);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(braced);
    if (!m) throw new ComposeError(`${where}: "\${${braced.slice(0, 40)}}" is not a variable`);
    const [, name, colon, op, rest] = m;
    const v = env[name!];
    const unset = colon ? v === undefined || v === "" : v === undefined;
    if (op === "-") return unset ? interpolate(rest!, env, where) : v!;
    if (op === "?") {
      if (unset) throw new ComposeError(`${where}: ${name} is required${rest ? `: ${rest}` : ""}`);
      return v!;
    }
    return v ?? "";
  });
}

function interpolateAll(v: Json, env: Env, where: string): Json {
  if (typeof v === "string") return interpolate(v, env, where);
  if (Array.isArray(v)) return v.map((x, i) => interpolateAll(x, env, `${where}[${i}]`));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateAll(x, env, `${where}.${k}`)]));
  return v;
}

/** `environment` as a mapping (compose allows a list of K=V too), so overlays merge by name. */
function normaliseEnvironment(doc: Obj): void {
  if (!isObj(doc.services)) return;
  for (const svc of Object.values(doc.services)) {
    if (!isObj(svc) || !Array.isArray(svc.environment)) continue;
    svc.environment = Object.fromEntries(svc.environment.map((e) => {
      const s = String(e);
      const i = s.indexOf("=");
      return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
    }));
  }
}

/** An overlay on top of a base: mappings merge key by key, scalars are replaced; a sequence both define is refused (compose's per-key rules for those are not implemented). */
function merge(base: Json | undefined, over: Json, where: string): Json {
  if (isObj(base) && isObj(over)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v, `${where}.${k}`) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) throw new ComposeError(`${where}: both files set this list; merging lists is not implemented`);
  return over;
}

export interface ComposeProject {
  name: string;
  /** The directory of the first file: relative paths (build context, secret files) start there. */
  dir: string;
  doc: Obj;
}

/** Reads, interpolates and merges the files (the first is the base). */
export function loadCompose(files: readonly string[], env: Env): ComposeProject {
  if (!files.length) throw new ComposeError("no compose file");
  let doc: Json = {};
  for (const file of files) {
    const parsed = (parse(readFileSync(file, "utf8")) ?? {}) as Json;
    if (!isObj(parsed)) throw new ComposeError(`${file}: not a mapping`);
    const one = interpolateAll(parsed, env, file) as Obj;
    normaliseEnvironment(one);
    doc = merge(doc, one, file);
  }
  const top = refuseUnknown("compose", doc, KNOWN.top);
  return { name: String(top.name ?? "compose"), dir: dirname(resolve(files[0]!)), doc: top };
}

/** A compose duration ("10s", "1m30s", "500ms") in seconds. */
export function durationSeconds(d: Json, where: string): number {
  if (typeof d === "number") return d;
  const s = String(d);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6 };
  let total = 0;
  let rest = s;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(rest);
    if (!m) throw new ComposeError(`${where}: "${s}" is not a duration`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!s) throw new ComposeError(`${where}: empty duration`);
  return total;
}

export interface ServicePlan {
  service: string;
  container: string;
  /** compose's `build:` resolved: what the test builds and tags as this service's image. */
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  /** Services this one waits for: `healthy` ones must pass `podman healthcheck run` first. */
  dependsOn: { service: string; healthy: boolean }[];
  /** Container ports published: containerPort → host port given by the caller. */
  published: { hostIp: string; hostPort: number; containerPort: number }[];
  hostNetwork: boolean;
  /** Everything for `podman run -d` after "run -d" and before the image. */
  args: string[];
}

export interface Plan {
  project: string;
  /** Named volumes to `podman volume create` first. */
  volumes: string[];
  /** Services in an order where each comes after what it depends on. */
  services: ServicePlan[];
}

export interface PlanOptions {
  /** Unique per run: names containers `<project>-<service>`, volumes `<project>_<volume>`. */
  project: string;
  /** The user network services join (with their name as an alias), unless `network_mode: host`. */
  network: string;
  /** Each secret's file: the test writes its own, never the operator's docker/secrets/. */
  secretFiles: Readonly<Record<string, string>>;
  /** The host port to publish `containerPort` of `service` on, in place of the file's. */
  hostPort(service: string, containerPort: number): number;
}

const str = (v: Json | undefined, where: string): string => {
  if (typeof v === "string" || typeof v === "number") return String(v);
  throw new ComposeError(`${where}: expected a string`);
};
const list = (v: Json | undefined, where: string): Json[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ComposeError(`${where}: expected a list`);
  return v;
};

/** The `podman run` plan for every service of `project`. */
export function planServices(p: ComposeProject, o: PlanOptions): Plan {
  const services = refuseUnknown("services", p.doc.services, Object.keys(isObj(p.doc.services) ? p.doc.services : {}));
  const topSecrets = isObj(p.doc.secrets) ? p.doc.secrets : {};
  const topVolumes = isObj(p.doc.volumes) ? p.doc.volumes : {};
  for (const [name, v] of Object.entries(topSecrets)) {
    const s = refuseUnknown(`secrets.${name}`, v, KNOWN.secret);
    if (s.file === undefined) throw new ComposeError(`secrets.${name}: only file secrets are understood`);
  }
  for (const [name, v] of Object.entries(topVolumes)) refuseUnknown(`volumes.${name}`, v, []);
  const volumes = Object.keys(topVolumes).map((v) => `${o.project}_${v}`);

  const plans = new Map<string, ServicePlan>();
  for (const [service, raw] of Object.entries(services)) {
    const at = `services.${service}`;
    const svc = refuseUnknown(at, raw, KNOWN.service);
    const args: string[] = ["--name", `${o.project}-${service}`];
    const plan: ServicePlan = { service, container: `${o.project}-${service}`, dependsOn: [], published: [], hostNetwork: false, args };

    if (svc.build !== undefined) {
      const b = refuseUnknown(`${at}.build`, svc.build, KNOWN.build);
      const context = resolve(p.dir, str(b.context ?? ".", `${at}.build.context`));
      const buildArgs = refuseUnknown(`${at}.build.args`, b.args, Object.keys(isObj(b.args) ? b.args : {}));
      plan.build = {
        context,
        dockerfile: resolve(context, str(b.dockerfile ?? "Dockerfile", `${at}.build.dockerfile`)),
        args: Object.fromEntries(Object.entries(buildArgs).map(([k, v]) => [k, str(v, `${at}.build.args.${k}`)])),
      };
    }

    if (svc.network_mode !== undefined) {
      if (svc.network_mode !== "host") throw new ComposeError(`${at}.network_mode: only "host" is understood`);
      plan.hostNetwork = true;
      args.push("--network", "host");
    } else {
      args.push("--network", o.network, "--network-alias", service);
    }

    for (const [k, v] of Object.entries(refuseUnknown(`${at}.environment`, svc.environment, Object.keys(isObj(svc.environment) ? svc.environment : {})))) {
      if (v === null) continue; // "KEY:" passes the shell's value through: the test's shell has none to give
      if (isObj(v) || Array.isArray(v)) throw new ComposeError(`${at}.environment.${k}: expected a scalar`);
      args.push("-e", `${k}=${String(v)}`);
    }

    for (const [i, s] of list(svc.secrets, `${at}.secrets`).entries()) {
      if (typeof s !== "string") throw new ComposeError(`${at}.secrets[${i}]: only the short form (a secret's name) is understood`);
      if (!(s in topSecrets)) throw new ComposeError(`${at}.secrets[${i}]: "${s}" is not declared under secrets:`);
      const file = o.secretFiles[s];
      if (!file) throw new ComposeError(`${at}.secrets[${i}]: the test has no file for secret "${s}"`);
      args.push("-v", `${file}:/run/secrets/${s}:ro`);
    }

    for (const [i, v] of list(svc.volumes, `${at}.volumes`).entries()) {
      const m = typeof v === "string" ? /^([^:]+):([^:]+)(?::(ro|rw))?$/.exec(v) : null;
      if (!m) throw new ComposeError(`${at}.volumes[${i}]: only "source:/target[:ro|rw]" is understood`);
      const [, source, target, mode] = m;
      let host: string;
      if (/^[./~]/.test(source!)) host = resolve(p.dir, source!);
      else if (source! in topVolumes) host = `${o.project}_${source}`;
      else throw new ComposeError(`${at}.volumes[${i}]: volume "${source}" is not declared under volumes:`);
      args.push("-v", `${host}:${target}${mode ? `:${mode}` : ""}`);
    }

    for (const [i, v] of list(svc.ports, `${at}.ports`).entries()) {
      const m = typeof v === "string" ? /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+):(\d+)(?:\/tcp)?$/.exec(v) : null;
      if (!m) throw new ComposeError(`${at}.ports[${i}]: only "[ip:]host:container[/tcp]" is understood`);
      const hostIp = m[1] ?? "0.0.0.0";
      const containerPort = Number(m[3]);
      if (plan.hostNetwork) continue; // compose ignores published ports on the host network too
      const hostPort = o.hostPort(service, containerPort);
      plan.published.push({ hostIp, hostPort, containerPort });
      args.push("-p", `${hostIp}:${hostPort}:${containerPort}`);
    }

    if (svc.healthcheck !== undefined) {
      const h = refuseUnknown(`${at}.healthcheck`, svc.healthcheck, KNOWN.healthcheck);
      const t = h.test;
      if (Array.isArray(t)) {
        const words = t.map((x) => str(x, `${at}.healthcheck.test`));
        if (words[0] === "CMD-SHELL" && words.length === 2) args.push("--health-cmd", JSON.stringify(words));
        // podman 4.3 splits a JSON array that starts with "CMD" on spaces ("exec 3<>…" becomes two
        // words); one without "CMD" and of 2+ words it takes as the CMD form itself.
        else if (words[0] === "CMD" && words.length > 2) args.push("--health-cmd", JSON.stringify(words.slice(1)));
        else throw new ComposeError(`${at}.healthcheck.test: only ["CMD", program, args…] (2+ words after CMD) or ["CMD-SHELL", command] is understood`);
      } else if (typeof t === "string") {
        args.push("--health-cmd", t);
      } else {
        throw new ComposeError(`${at}.healthcheck.test: expected a list or a string`);
      }
      const flags = { interval: "--health-interval", timeout: "--health-timeout", start_period: "--health-start-period" } as const;
      for (const [k, flag] of Object.entries(flags)) {
        if (h[k] !== undefined) args.push(flag, `${durationSeconds(h[k]!, `${at}.healthcheck.${k}`)}s`);
      }
      if (h.retries !== undefined) args.push("--health-retries", str(h.retries, `${at}.healthcheck.retries`));
    }

    if (svc.init !== undefined) {
      if (typeof svc.init !== "boolean") throw new ComposeError(`${at}.init: expected true or false`);
      if (svc.init) args.push("--init");
    }
    if (svc.restart !== undefined) {
      const r = str(svc.restart, `${at}.restart`);
      if (!/^(no|always|on-failure(:\d+)?|unless-stopped)$/.test(r)) throw new ComposeError(`${at}.restart: "${r}" is not a restart policy`);
      args.push("--restart", r);
    }
    if (svc.stop_grace_period !== undefined) {
      args.push("--stop-timeout", String(Math.ceil(durationSeconds(svc.stop_grace_period, `${at}.stop_grace_period`))));
    }

    const deps = svc.depends_on;
    if (Array.isArray(deps)) {
      for (const d of deps) plan.dependsOn.push({ service: str(d, `${at}.depends_on`), healthy: false });
    } else if (deps !== undefined) {
      for (const [d, spec] of Object.entries(refuseUnknown(`${at}.depends_on`, deps, Object.keys(isObj(deps) ? deps : {})))) {
        const c = refuseUnknown(`${at}.depends_on.${d}`, spec, KNOWN.dependency).condition ?? "service_started";
        if (c !== "service_started" && c !== "service_healthy") throw new ComposeError(`${at}.depends_on.${d}.condition: "${String(c)}" is not understood`);
        plan.dependsOn.push({ service: d, healthy: c === "service_healthy" });
      }
    }
    plans.set(service, plan);
  }

  // Start order: each service after those it depends on (a cycle throws).
  const ordered: ServicePlan[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, from: string) => {
    const plan = plans.get(name);
    if (!plan) throw new ComposeError(`services.${from}.depends_on: no service "${name}"`);
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new ComposeError(`services.${name}.depends_on: a cycle`);
    state.set(name, "visiting");
    for (const d of plan.dependsOn) visit(d.service, name);
    state.set(name, "done");
    ordered.push(plan);
  };
  for (const name of plans.keys()) visit(name, name);
  return { project: o.project, volumes, services: ordered };
}
