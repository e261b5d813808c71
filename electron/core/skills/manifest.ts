import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { MANIFEST_METHODS, pathPatternProblem } from '../broker/call-limits';
import { errnoOf, SophonError } from '../errors';
import { parseJsonText, validate } from '../validation/parse';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const SkillCredentialSchema = z.strictObject({
  /** A catalog service id (built-in or a connector file). */
  service: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'must be a service id from the catalog (sophon connect list --available)'),
  /** Scopes the skill needs; the connection must have been granted each. */
  scopes: z.array(z.string().min(1).max(200)).max(100).default([]),
  /** `proxy` (default): calls go through the broker. `injected`: a short-lived token in the skill's environment. */
  access: z.enum(['proxy', 'injected']).default('proxy'),
  /** The only HTTP methods its tools may call through the broker (absent: any the broker forwards). */
  methods: z
    .array(z.enum(MANIFEST_METHODS, { error: () => `must be one of ${MANIFEST_METHODS.join(', ')} (uppercase)` }))
    .min(1, 'list at least one method, or leave "methods" out to allow any')
    .max(MANIFEST_METHODS.length)
    .optional(),
  /** The only paths (patterns: `*` one segment, `**` any depth) its tools may call through the broker (absent: any). */
  paths: z
    .array(z.string().superRefine((p, ctx) => {
      const problem = pathPatternProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: `the path pattern "${p.slice(0, 80)}" ${problem}` });
    }))
    .min(1, 'list at least one path pattern, or leave "paths" out to allow any')
    .max(100)
    .optional(),
}).superRefine((c, ctx) => {
  // An injected credential is in the skill's own hands: the broker could not hold it to these limits.
  for (const field of ['methods', 'paths'] as const) {
    if (c[field] !== undefined && c.access === 'injected') {
      ctx.addIssue({ code: 'custom', path: [field], message: `"${field}" limits calls through the broker; an "injected" credential does not go through it (use "access": "proxy")` });
    }
  }
});

export const SkillToolSchema = z.strictObject({
  name: z.string().regex(NAME, 'must be 1-64 lowercase letters, digits, ".", "_" or "-"'),
  description: z.string().max(1000).default(''),
  /** Program and arguments, run in the skill's folder. `node` means the Node that runs Sophon. */
  command: z.array(z.string().min(1).max(4096)).min(1).max(64),
  /**
   * The JSON Schema of the tool's input when an MCP agent calls it (`skill__tool`); the arguments then reach
   * the tool as JSON in SOPHON_TOOL_INPUT. Absent: the agent passes command-line arguments (`args`).
   */
  inputSchema: z
    .record(z.string(), z.unknown())
    .refine((s) => s.type === 'object', 'must be a JSON Schema of an object ("type": "object")')
    .refine((s) => JSON.stringify(s).length <= 20_000, 'must be at most 20000 characters of JSON')
    .optional(),
});

export const SkillManifestSchema = z
  .strictObject({
    id: z.string().regex(NAME, 'must be 1-64 lowercase letters, digits, ".", "_" or "-"'),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).default(''),
    version: z.string().max(50).optional(),
    tools: z.array(SkillToolSchema).min(1, 'a skill has at least one tool'),
    credentials: z.array(SkillCredentialSchema).default([]),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.tools.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: `tool "${t.name}" is declared twice` });
      seen.add(t.name);
    });
  });

export type SkillManifest = z.output<typeof SkillManifestSchema>;
export type SkillCredential = z.output<typeof SkillCredentialSchema>;

export interface LoadedSkill {
  folder: string;
  file: string;
  manifest: SkillManifest;
}

/** Reads and validates `<folder>/manifest.json`; every problem is named by its field. */
export async function loadSkill(folder: string): Promise<LoadedSkill> {
  const dir = resolve(folder);
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') throw new SophonError('not_found', `${file} does not exist: a skill is a folder with a manifest.json.`);
    throw new SophonError('invalid_input', `Cannot read ${file} (${errnoOf(err) ?? 'error'}).`);
  }
  const manifest = validate(SkillManifestSchema, parseJsonText(text, `Skill manifest ${file}`), `Skill manifest ${file}`);
  return { folder: dir, file, manifest };
}
