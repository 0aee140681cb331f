import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** Repository root (this file is tests/deploy/manifests.ts). */
export const ROOT = resolve(__dirname, '../..');
export const CHART_DIR = join(ROOT, 'deploy/helm/relayllm');
export const K8S_DIR = join(ROOT, 'k8s');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface LoadedDocument {
  file: string;
  index: number;
  object: JsonObject;
}

/** Every file under `dir` whose name ends with one of `extensions`, sorted. */
export function filesUnder(dir: string, extensions: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, extensions));
    else if (extensions.some((ext) => name.endsWith(ext))) out.push(full);
  }
  return out;
}

/** The non-empty documents of YAML text a command printed (helm, kubectl, make-secrets.sh), as objects. */
export function yamlObjects(text: string): JsonObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJSON() as JsonObject | null)
    .filter((object): object is JsonObject => object !== null);
}

/** The non-empty YAML documents of a file; throws with the file and line on a parse error. */
export function loadYamlDocuments(file: string): LoadedDocument[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
  const out: LoadedDocument[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${relative(ROOT, file)} document ${index}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const object = doc.toJSON() as Json;
    if (object === null) return;
    if (typeof object !== 'object' || Array.isArray(object)) throw new Error(`${relative(ROOT, file)} document ${index} is not a mapping`);
    out.push({ file, index, object });
  });
  return out;
}

export function loadYaml(file: string): JsonObject {
  return parse(readFileSync(file, 'utf8')) as JsonObject;
}

export interface Kustomization {
  dir: string;
  resources: string[];
  /** Patch files (`patches: - path:`) and inline patches. */
  patchFiles: string[];
  inlinePatches: { target: JsonObject; patch: string }[];
  images: { name: string; newTag?: string }[];
}

export function loadKustomization(dir: string): Kustomization {
  const k = loadYaml(join(dir, 'kustomization.yaml')) as {
    resources?: string[];
    patches?: { path?: string; patch?: string; target?: JsonObject }[];
    images?: { name: string; newTag?: string }[];
  };
  return {
    dir,
    resources: (k.resources ?? []).map((r) => resolve(dir, r)),
    patchFiles: (k.patches ?? []).filter((p) => p.path !== undefined).map((p) => resolve(dir, p.path as string)),
    inlinePatches: (k.patches ?? []).filter((p) => p.patch !== undefined).map((p) => ({ target: p.target ?? {}, patch: p.patch as string })),
    images: k.images ?? [],
  };
}

/** Objects of a kustomization's resources (recursing into directories = other kustomizations). */
export function kustomizeResources(dir: string): LoadedDocument[] {
  const k = loadKustomization(dir);
  return k.resources.flatMap((resource) => {
    if (existsSync(join(resource, 'kustomization.yaml'))) return kustomizeResources(resource);
    return loadYamlDocuments(resource);
  });
}

export const keyOf = (o: JsonObject): string => `${String(o.kind)}/${String((o.metadata as JsonObject | undefined)?.name)}`;

/** Reads `a.b.c` from an object (undefined when a step is missing). */
export function at(value: Json | undefined, path: string[]): Json | undefined {
  let current: Json | undefined = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current) || !(step in current)) return undefined;
    current = current[step];
  }
  return current;
}

/** Deep merge as Helm merges `-f` files over values.yaml (maps merge, everything else replaces). */
export function mergeValues(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothMaps =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current);
    out[key] = bothMaps ? mergeValues(current as JsonObject, value as JsonObject) : value;
  }
  return out;
}

export const relativePath = (file: string): string => relative(ROOT, file);
export const dirOf = dirname;
