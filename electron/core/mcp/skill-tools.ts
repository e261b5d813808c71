import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { errnoOf, isSophonError } from '../errors';
import { log } from '../log/log';
import { loadSkill, type LoadedSkill, type SkillManifest } from '../skills/manifest';

/** Where installed skills live: one folder per skill, each with its manifest.json. */
export const SKILLS_FOLDER = 'skills';

/** `skill__tool`: what an MCP agent calls a skill's tool. */
export const skillToolName = (skillId: string, tool: string) => `${skillId}__${tool}`;

/** An installed skill's tool as the MCP door offers it. */
export interface SkillTool {
  name: string;
  skill: LoadedSkill;
  tool: SkillManifest['tools'][number];
  /** Only proxied calls limited to GET/HEAD: nothing it does can change anything, so it needs no approval. */
  readOnly: boolean;
  definition: Tool;
  /** Checks an agent's arguments against the tool's input schema. */
  check: JsonSchemaValidator<Record<string, unknown>>;
}

const ARGS_SCHEMA = {
  type: 'object',
  properties: { args: { type: 'array', items: { type: 'string', maxLength: 4096 }, maxItems: 64, description: "the tool's command-line arguments" } },
  additionalProperties: false,
} as const;

const OUTPUT_SCHEMA: Tool['outputSchema'] = {
  type: 'object',
  properties: {
    exitCode: { type: 'number' },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    truncated: { type: 'boolean' },
  },
  required: ['exitCode', 'stdout', 'stderr', 'truncated'],
};

/**
 * The skills installed in `<SOPHON_HOME>/skills/*` and their tools. Read at each tools/list and call, so a
 * skill added while an agent runs is there on its next look. A skill whose manifest is broken is left out
 * (logged with the problem), never half-offered.
 */
export async function installedSkillTools(home: string): Promise<SkillTool[]> {
  const root = join(home, SKILLS_FOLDER);
  let entries: string[];
  try {
    entries = (await fsp.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw err;
  }
  const validator = new AjvJsonSchemaValidator();
  const tools: SkillTool[] = [];
  const names = new Set<string>();
  for (const folder of entries) {
    let skill: LoadedSkill;
    try {
      skill = await loadSkill(join(root, folder));
    } catch (err) {
      if (!isSophonError(err)) throw err;
      log('warn', 'mcp.skill_skipped', { folder: folder.slice(0, 100), problem: err.message.slice(0, 300) });
      continue;
    }
    const m = skill.manifest;
    const readOnly = m.credentials.every((c) => c.access === 'proxy' && c.methods !== undefined && c.methods.every((x) => x === 'GET' || x === 'HEAD'));
    for (const tool of m.tools) {
      const name = skillToolName(m.id, tool.name);
      if (names.has(name)) {
        log('warn', 'mcp.skill_tool_duplicate', { tool: name, folder: folder.slice(0, 100) });
        continue;
      }
      const inputSchema = (tool.inputSchema ?? ARGS_SCHEMA) as Tool['inputSchema'];
      let check: JsonSchemaValidator<Record<string, unknown>>;
      try {
        check = validator.getValidator<Record<string, unknown>>(inputSchema as JsonSchemaType);
      } catch (err) {
        log('warn', 'mcp.skill_schema_invalid', { tool: name, problem: (err instanceof Error ? err.message : 'invalid').slice(0, 300) });
        continue;
      }
      names.add(name);
      const services = m.credentials.map((c) => `${c.service} (${c.access === 'proxy' ? 'through the broker' : 'credential in its environment'})`).join(', ') || 'no credential';
      tools.push({
        name,
        skill,
        tool,
        readOnly,
        check,
        definition: {
          name,
          title: `${m.name}: ${tool.name}`,
          description: [tool.description || `Tool ${tool.name} of the skill ${m.name}.`, m.description ? `Skill: ${m.description}` : '', `Uses: ${services}.`, readOnly ? '' : 'It may change things: the person may be asked to approve each run.']
            .filter(Boolean)
            .join('\n'),
          inputSchema,
          outputSchema: OUTPUT_SCHEMA,
          annotations: { readOnlyHint: readOnly, openWorldHint: true },
        },
      });
    }
  }
  return tools;
}
