import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { findTable, removeTable, renderTable, tomlString, upsertTable } from '../../../electron/core/mcp/toml-table';

const PATH = ['mcp_servers', 'sophon'];
const OURS = renderTable(PATH, { command: '/usr/bin/node', args: ['/opt/sophon/bin/sophon.cjs', 'mcp'], env: { SOPHON_HOME: '/home/a b/.sophon' } });

describe('toml-table: one [mcp_servers.sophon] table, every other byte kept', () => {
  test('renders escaped strings, arrays and an inline env table', () => {
    assert.equal(tomlString('a"b\\c\nd\u0001'), '"a\\"b\\\\c\\nd\\u0001"');
    assert.equal(OURS, '[mcp_servers.sophon]\ncommand = "/usr/bin/node"\nargs = ["/opt/sophon/bin/sophon.cjs", "mcp"]\nenv = { SOPHON_HOME = "/home/a b/.sophon" }\n');
  });

  test('appends to a file without the table, and removing it restores the file byte for byte', () => {
    const original = '# my codex config\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "npx"\nargs = ["-y", "x"]\n';
    const added = upsertTable(original, PATH, OURS);
    assert.ok(added.startsWith(original));
    assert.equal(added, `${original}\n${OURS}`);
    assert.equal(removeTable(added, PATH), original);
    assert.equal(upsertTable('', PATH, OURS), OURS);
  });

  test('replaces the table in place, keeping what comes before and after (comments, other tables)', () => {
    const before = 'model = "o3"\n\n[mcp_servers.sophon]\ncommand = "old"\nargs = [\n  "old.cjs",\n  "mcp",\n]\n\n# the next one is mine\n[profiles.fast]\nmodel = "x"\n';
    const after = upsertTable(before, PATH, OURS);
    assert.equal(after, `model = "o3"\n\n${OURS}\n# the next one is mine\n[profiles.fast]\nmodel = "x"\n`);
    assert.equal(upsertTable(after, PATH, OURS), after, 'idempotent');
  });

  test('a header-looking line inside a multi-line string or array is not a header', () => {
    const tricky = 'prompt = """\n[mcp_servers.sophon]\nnot a table\n"""\nlist = [\n  ["mcp_servers"]\n]\n[mcp_servers.other]\ncommand = "x"\n';
    assert.equal(findTable(tricky, PATH), null);
    const added = upsertTable(tricky, PATH, OURS);
    assert.equal(removeTable(added, PATH), tricky);
  });

  test('quoted keys and spacing in a header still name the table', () => {
    const quoted = '[ mcp_servers . "sophon" ]  # ours\ncommand = "old"\n';
    assert.equal(findTable(quoted, PATH)?.text, quoted);
  });

  test('refuses files where the table is not one plain table it can replace unambiguously', () => {
    const refused = [
      '[mcp_servers.sophon]\ncommand = "a"\n[mcp_servers.sophon]\ncommand = "b"\n',
      '[mcp_servers.sophon]\ncommand = "a"\n[mcp_servers.sophon.env]\nX = "1"\n',
      '[mcp_servers]\nsophon = { command = "a" }\n',
      '[mcp_servers]\nsophon.command = "a"\n',
      'mcp_servers.sophon.command = "a"\n',
      'mcp_servers = { sophon = { command = "a" } }\n',
      '[[mcp_servers]]\nname = "x"\n',
    ];
    for (const text of refused) {
      assert.throws(() => upsertTable(text, PATH, OURS), /unambiguously/, text);
      assert.throws(() => removeTable(text, PATH), /unambiguously/, text);
    }
  });

  test('a file without a final newline keeps its last line intact', () => {
    const text = 'model = "o3"';
    const added = upsertTable(text, PATH, OURS);
    assert.equal(added, `model = "o3"\n\n${OURS}`);
    const replaced = upsertTable('[mcp_servers.sophon]\ncommand = "old"', PATH, OURS);
    assert.equal(replaced, OURS.replace(/\n$/, ''));
  });
});
